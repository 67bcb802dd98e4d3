import RuntimeCore

/// Command lines for `/bin/sh`: a Ray job's `entrypoint` is one string that
/// Ray runs with `sh -c`, so each argument is quoted to reach the program
/// exactly as given.
package enum ShellCommand {
    /// `argument` as one `/bin/sh` word: as it is when it holds only
    /// characters the shell never interprets, otherwise in single quotes
    /// (each `'` written as `'\''`). The empty string is `''`.
    package static func quote(_ argument: String) -> String {
        if !argument.isEmpty, argument.utf8.allSatisfy(isPlain) { return argument }
        return "'" + argument.replacing("'", with: #"'\''"#) + "'"
    }

    /// `exec` and the quoted arguments: the shell replaces itself with the
    /// program, so Ray's signals and exit code are the program's own.
    /// Refuses no arguments, and an argument with a NUL (no command line can carry it).
    package static func line(_ arguments: [String]) throws(RuntimeError) -> String {
        guard !arguments.isEmpty else {
            throw RuntimeError(.invalidRequest, "a Ray job needs a command to run, and none was given")
        }
        if let bad = arguments.first(where: { $0.utf8.contains(0) }) {
            throw RuntimeError(.invalidRequest, "a command argument holds a NUL character: \(quote(bad))")
        }
        return (["exec"] + arguments.map(quote)).joined(separator: " ")
    }

    /// Letters, digits and `%+,-./:@_`: no shell meaning anywhere in a word.
    /// (Not `=`: a first word `A=b` would be an assignment.)
    private static func isPlain(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "%"), UInt8(ascii: "+"), UInt8(ascii: ","), UInt8(ascii: "-"), UInt8(ascii: "."),
             UInt8(ascii: "/"), UInt8(ascii: ":"), UInt8(ascii: "@"), UInt8(ascii: "_"):
            return true
        default:
            return false
        }
    }
}

import Foundation
import RuntimeCore
import RuntimeTestSupport
import Testing
@testable import RuntimeRay

/// A Ray job's entrypoint is one `/bin/sh` command line: every argument must
/// reach the program byte for byte, whatever it holds.
struct ShellQuotingTests {
    @Test func plainWordsStayAsTheyAre() {
        #expect(ShellCommand.quote("runtime-worker") == "runtime-worker")
        #expect(ShellCommand.quote("--connect") == "--connect")
        #expect(ShellCommand.quote("127.0.0.1:9000") == "127.0.0.1:9000")
        #expect(ShellCommand.quote("/opt/py/bin/python3.11") == "/opt/py/bin/python3.11")
        #expect(ShellCommand.quote("a_b,c@d%e+f") == "a_b,c@d%e+f")
    }

    @Test func everythingElseIsSingleQuoted() {
        #expect(ShellCommand.quote("") == "''")
        #expect(ShellCommand.quote("two words") == "'two words'")
        #expect(ShellCommand.quote("it's") == #"'it'\''s'"#)
        #expect(ShellCommand.quote("$HOME") == "'$HOME'")
        #expect(ShellCommand.quote("A=b") == "'A=b'")
        #expect(ShellCommand.quote("~") == "'~'")
        #expect(ShellCommand.quote("é") == "'é'")
    }

    @Test func aCommandLineExecsTheQuotedArguments() throws {
        #expect(try ShellCommand.line(["runtime-worker", "--connect", "h:1", "a b"])
            == "exec runtime-worker --connect h:1 'a b'")
    }

    @Test func noArgumentsOrANulAreRefused() {
        #expect(throws: RuntimeError.self) { try ShellCommand.line([]) }
        let error = #expect(throws: RuntimeError.self) { try ShellCommand.line(["echo", "a\u{0}b"]) }
        #expect(error?.code == .invalidRequest)
    }

    /// The real test: `/bin/sh` hands each argument back exactly.
    @Test func theShellGivesBackEveryArgumentExactly() throws {
        let arguments = ["", " ", "it's", #"a"b"#, "$HOME", "`id`", "$(id)", #"back\slash"#, "*", "?", "[a]",
                         "a;b", "a|b", "a&b", "<in", ">out", "#hash", "~", "~root", "A=b", "{a,b}", "!x",
                         "new\nline", "tab\tbed", "'", "''", "é ü 漢字", "-n", "--", "%s"]
        let line = try ShellCommand.line(["printf", "%s\\0"] + arguments)
        let process = SpawnedProcess()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", line]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        var printed = String(decoding: data, as: UTF8.self).split(separator: "\0", omittingEmptySubsequences: false)
            .map(String.init)
        #expect(printed.last == "")
        printed.removeLast()
        #expect(printed == arguments)
    }
}

extension Unicode.Scalar {
    /// C0 controls (U+0000–U+001F), DEL (U+007F) and C1 controls (U+0080–U+009F).
    var isControlCharacter: Bool { value < 0x20 || (0x7F...0x9F).contains(value) }

    var hexCode: String {
        let hex = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }
}

extension String {
    /// Text as an error message or a log line may quote it: control
    /// characters escaped (so a newline never starts a line of its own, a
    /// forged log line) and at most `limit` characters kept.
    func quotedForMessage(limit: Int = 100) -> String {
        var out = ""
        for scalar in unicodeScalars.prefix(limit) {
            if scalar.isControlCharacter {
                out += scalar == "\0" ? "\\0" : "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return unicodeScalars.count > limit ? out + "…" : out
    }
}

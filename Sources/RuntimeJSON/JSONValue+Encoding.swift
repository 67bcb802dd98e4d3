extension JSONValue {
    /// The compact JSON text of this value. Non-finite doubles, which JSON
    /// cannot carry, are written as `null`.
    public var jsonString: String {
        String(decoding: jsonBytes, as: UTF8.self)
    }

    /// The JSON text as UTF-8 bytes (written directly, without a `String` in between).
    public var jsonBytes: [UInt8] {
        var writer = JSONWriter()
        writer.write(self)
        return writer.bytes
    }

    /// Appends this value's JSON text to `out`.
    public func write(to out: inout String) {
        out += jsonString
    }
}

extension JSONValue: CustomStringConvertible {
    /// The compact JSON text (``jsonString``).
    public var description: String { jsonString }
}

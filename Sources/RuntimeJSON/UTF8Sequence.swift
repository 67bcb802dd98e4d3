/// The one check of multi-byte UTF-8 that the parser and the validator share.
enum UTF8Sequence {
    /// The length of the well-formed UTF-8 sequence of two to four bytes
    /// that starts at `index` (Unicode table 3-7: no overlong form, no
    /// surrogate, nothing past U+10FFFF), or nil when there is none.
    static func length<Bytes: RandomAccessCollection<UInt8>>(in bytes: Bytes, at index: Bytes.Index) -> Int?
    where Bytes.Index == Int {
        let length: Int
        var second: ClosedRange<UInt8> = 0x80...0xBF
        switch bytes[index] {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; second = 0xA0...0xBF
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; second = 0x80...0x9F
        case 0xF0: length = 4; second = 0x90...0xBF
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; second = 0x80...0x8F
        default: return nil
        }
        guard index + length <= bytes.endIndex, second.contains(bytes[index + 1]) else { return nil }
        for offset in (index + 2)..<(index + length) where bytes[offset] & 0xC0 != 0x80 { return nil }
        return length
    }
}

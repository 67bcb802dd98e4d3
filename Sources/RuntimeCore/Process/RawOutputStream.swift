import Glibc
import RuntimeJSON
import WorkerFrames

/// One of a worker's raw output pipes (its fd 1 or 2), decoded as UTF-8
/// without splitting a character across reads.
struct RawOutputStream {
    let fd: Int32
    let name: String
    private(set) var isOpen = true
    private var carry: [UInt8] = []

    init(fd: Int32, name: String) {
        self.fd = fd
        self.name = name
    }

    /// Reads one chunk; nil at end of file.
    mutating func read() -> (stream: String, text: String)? {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let got = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        if got < 0 && errno == EINTR { return (name, "") }
        guard got > 0 else {
            isOpen = false
            let rest = carry
            carry = []
            return rest.isEmpty ? nil : (name, String(decoding: rest, as: UTF8.self))
        }
        var bytes = carry + buffer[0..<got]
        // Keep an unfinished character for the next read.
        var cut = bytes.count
        var back = 0
        while back < 3, cut - back - 1 >= 0, bytes[cut - back - 1] & 0xC0 == 0x80 { back += 1 }
        if cut - back - 1 >= 0 {
            let lead = bytes[cut - back - 1]
            let needed = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1
            if needed > back + 1 { cut = cut - back - 1 }
        }
        carry = Array(bytes[cut...])
        bytes.removeSubrange(cut...)
        return (name, String(decoding: bytes, as: UTF8.self))
    }
}

import Glibc

/// Length-prefixed JSON frames over a file descriptor: a 4-byte big-endian
/// length, then that many bytes of UTF-8 JSON. Used in both directions
/// between the runtime and its worker processes.
enum FrameIO {
    /// The largest frame either side accepts.
    static let maximumFrameSize = 1 << 30

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Writes one frame, retrying partial writes and interrupted calls.
    static func write(_ value: JSONValue, to fd: Int32) throws(Failure) {
        try write(bytes: frame(value), to: fd)
    }

    /// A value as one frame: its length, then its JSON.
    static func frame(_ value: JSONValue) -> [UInt8] {
        let body = value.jsonBytes
        let n = UInt32(body.count)
        var frame: [UInt8] = [UInt8(n >> 24), UInt8((n >> 16) & 0xFF), UInt8((n >> 8) & 0xFF), UInt8(n & 0xFF)]
        frame.append(contentsOf: body)
        return frame
    }

    /// Writes an encoded frame, retrying partial writes and interrupted calls.
    static func write(bytes frame: [UInt8], to fd: Int32) throws(Failure) {
        let failure: Int32? = frame.withUnsafeBytes { buffer in
            guard var pointer = buffer.baseAddress else { return nil }
            var remaining = buffer.count
            while remaining > 0 {
                let written = Glibc.write(fd, pointer, remaining)
                if written < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                remaining -= written
                pointer = pointer.advanced(by: written)
            }
            return nil
        }
        if let failure {
            throw Failure(description: "write failed: \(String(cString: strerror(failure)))")
        }
    }

    /// Reads one frame; nil at end of file (the other side closed).
    ///
    /// The length in the header is checked against `maximumSize` before
    /// anything is allocated, and the buffer grows only as bytes arrive, so
    /// a header that promises more than is sent costs nothing.
    static func read(from fd: Int32, maximumSize: Int = maximumFrameSize) throws(Failure) -> JSONValue? {
        guard let body = try readBody(from: fd, maximumSize: maximumSize) else { return nil }
        do {
            return try JSONParser.parse(body)
        } catch {
            throw Failure(description: "frame is not JSON: \(error)")
        }
    }

    /// Reads one frame's bytes; nil at end of file.
    static func readBody(from fd: Int32, maximumSize: Int = maximumFrameSize) throws(Failure) -> [UInt8]? {
        var header = [UInt8](repeating: 0, count: 4)
        guard try readExactly(fd, into: &header) else { return nil }
        let length = Int(header[0]) << 24 | Int(header[1]) << 16 | Int(header[2]) << 8 | Int(header[3])
        guard length <= maximumSize else {
            throw Failure(description: "a frame of \(length) bytes is over the limit of \(maximumSize)")
        }
        var body: [UInt8] = []
        let step = 1 << 20
        while body.count < length {
            var chunk = [UInt8](repeating: 0, count: min(step, length - body.count))
            guard try readExactly(fd, into: &chunk) else { throw Failure(description: "frame cut short") }
            body.append(contentsOf: chunk)
        }
        return body
    }

    private static func readExactly(_ fd: Int32, into buffer: inout [UInt8]) throws(Failure) -> Bool {
        var filled = 0
        let count = buffer.count
        while filled < count {
            let got = buffer.withUnsafeMutableBytes { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                return Glibc.read(fd, base.advanced(by: filled), count - filled)
            }
            if got < 0 {
                if errno == EINTR { continue }
                throw Failure(description: "read failed: \(String(cString: strerror(errno)))")
            }
            if got == 0 {
                if filled == 0 { return false }
                throw Failure(description: "frame cut short")
            }
            filled += got
        }
        return true
    }
}

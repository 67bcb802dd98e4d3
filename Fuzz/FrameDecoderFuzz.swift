// libFuzzer target: the worker frame decoder, as the server runs it on what a
// worker (and so a hostile program) writes: `FrameIO.readBody(from:maximumSize:)`
// then `JSONParser.parse` on each body.
//
// Built by scripts/fuzz.sh with Sources/RuntimeCore/Worker/FrameIO.swift and
// Sources/RuntimeCore/JSON/*.swift in one module (FrameIO is internal).
//
// Each input is a byte stream: written whole into a pipe (resized to hold it,
// so the write never blocks on this one thread), the write end closed, then
// frames are read until end of file or the first error, as the server's reader
// thread does. Checked:
//   - nothing traps; a read ends with a frame, end of file or a `Failure`;
//   - no body is longer than `maximumSize` nor than the bytes that were sent
//     (the header is checked before allocating; scripts/fuzz.sh also runs this
//     target with a small -malloc_limit_mb, so a big allocation is a crash);
//   - the decoder reads exactly the frames' bytes: re-framing the bodies gives
//     back the start of the input.

import Glibc

/// Small on purpose: headers announcing more must be refused before anything is allocated.
private let maximumSize = 4096

/// fcntl's F_SETPIPE_SZ (F_LINUX_SPECIFIC_BASE + 7): Glibc hides it without _GNU_SOURCE.
private let setPipeSize: Int32 = 1024 + 7

@_cdecl("LLVMFuzzerTestOneInput")
public func frameDecoderFuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input: [UInt8] = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    var fds: [Int32] = [-1, -1]
    guard pipe(&fds) == 0 else { fatalError("pipe: \(String(cString: strerror(errno)))") }
    let (readEnd, writeEnd) = (fds[0], fds[1])
    defer { close(readEnd) }

    // Make room for the whole input (up to /proc/sys/fs/pipe-max-size, 1 MiB by
    // default; libFuzzer's -max_len keeps inputs far below that).
    let capacity = Int(fcntl(writeEnd, setPipeSize, Int32(max(size, 4096))))
    let sent = capacity > 0 ? min(size, capacity) : min(size, 65536)
    var offset = 0
    while offset < sent {
        let written = input.withUnsafeBytes { raw -> Int in
            guard let base = raw.baseAddress else { return 0 }
            return write(writeEnd, base.advanced(by: offset), min(sent - offset, 4096))
        }
        if written < 0 {
            if errno == EINTR { continue }
            fatalError("write to the pipe: \(String(cString: strerror(errno)))")
        }
        offset += written
    }
    close(writeEnd)

    var reframed: [UInt8] = []
    while true {
        let body: [UInt8]?
        do {
            body = try FrameIO.readBody(from: readEnd, maximumSize: maximumSize)
        } catch {
            break  // refused or cut short: the server ends that worker
        }
        guard let body else { break }  // end of file
        guard body.count <= maximumSize else { fatalError("a body of \(body.count) bytes is over the limit of \(maximumSize)") }
        let n = body.count
        reframed += [UInt8(n >> 24 & 0xFF), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)]
        reframed += body
        guard reframed.count <= sent else { fatalError("read \(reframed.count) bytes of frames from \(sent) bytes") }
        // What the server does with a body; malformed JSON is a clean error.
        _ = try? JSONParser.parse(body)
    }
    guard input[0..<reframed.count].elementsEqual(reframed) else { fatalError("the frames read are not the bytes sent") }
    return 0
}

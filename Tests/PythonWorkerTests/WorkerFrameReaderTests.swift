import CPython
import Foundation
import Glibc
import RuntimeJSON
import Testing
import WorkerFrames
@testable import PythonWorker

/// The worker's reading of its request channel: it reads what the pipe
/// holds at once and keeps the rest, so frames must come out whole and in
/// order however the bytes were written, an oversized one dropped without
/// losing the next.
struct WorkerFrameReaderTests {
    /// A pipe whose write end the test holds; the reader reads the other.
    private static func pipe() throws -> (reader: WorkerFrameReader, write: Int32, close: () -> Void) {
        var fds: [Int32] = [-1, -1]
        guard shim_pipe_cloexec(&fds) == 0 else { throw PipeFailure() }
        return (WorkerFrameReader(fd: fds[0], maximumFrameSize: 1 << 20), fds[1], { close(fds[0]) })
    }

    private struct PipeFailure: Error {}

    private static func write(_ bytes: [UInt8], to fd: Int32) {
        bytes.withUnsafeBytes { raw in _ = Glibc.write(fd, raw.baseAddress, raw.count) }
    }

    private static func frame(_ text: String) -> [UInt8] {
        FrameIO.frames(header: (try? JSONParser.parse(Array(text.utf8))) ?? .null)
    }

    private static func header(_ incoming: WorkerFrameReader.Incoming) -> JSONValue? {
        guard case .frame(let header, _) = incoming else { return nil }
        return header
    }

    @Test func framesWrittenTogetherComeOutOneByOne() throws {
        let (reader, write, done) = try Self.pipe()
        defer { done() }
        Self.write(Self.frame(#"{"op":"a"}"#) + Self.frame(#"{"op":"b","parts":["p"]}"#) + [0, 0, 0, 3] + Array("xyz".utf8)
                   + Self.frame(#"{"op":"c"}"#), to: write)
        close(write)
        #expect(Self.header(reader.next())?["op"] == "a")
        #expect(reader.hasWaitingBytes, "the rest is buffered")
        guard case .frame(let second, let parts) = reader.next() else {
            Issue.record("the second frame is missing")
            return
        }
        #expect(second["op"] == "b" && parts == [Array("xyz".utf8)])
        #expect(Self.header(reader.next())?["op"] == "c")
        guard case .end = reader.next() else {
            Issue.record("the channel's end is not seen")
            return
        }
    }

    @Test func aFrameWrittenByteByByteComesOutWhole() throws {
        let (reader, write, done) = try Self.pipe()
        defer { done() }
        let bytes = Self.frame(#"{"op":"model","rid":1}"#)
        let writer = Thread {
            for byte in bytes { Self.write([byte], to: write) }
            close(write)
        }
        writer.start()
        #expect(Self.header(reader.next())?["rid"] == 1)
    }

    @Test func aFrameLargerThanAChunkComesOutWhole() throws {
        let (reader, write, done) = try Self.pipe()
        defer { done() }
        let big = String(repeating: "x", count: 300 << 10)
        let bytes = Self.frame(#"{"op":"a","pad":"\#(big)"}"#) + Self.frame(#"{"op":"b"}"#)
        let writer = Thread {
            Self.write(bytes, to: write)
            close(write)
        }
        writer.start()
        #expect(Self.header(reader.next())?["pad"]?.stringValue?.count == big.count)
        #expect(Self.header(reader.next())?["op"] == "b")
    }

    @Test func anOversizedFrameIsDroppedAndTheNextReadWhole() throws {
        let (reader, write, done) = try Self.pipe()
        defer { done() }
        let oversized: [UInt8] = [0, 0x10, 0, 1] + [UInt8](repeating: 0x20, count: (1 << 20) + 1)
        let bytes = oversized + Self.frame(#"{"op":"after"}"#)
        let writer = Thread {
            Self.write(bytes, to: write)
            close(write)
        }
        writer.start()
        guard case .malformed(let reason) = reader.next() else {
            Issue.record("the oversized frame is not refused")
            return
        }
        #expect(reason.contains("over the limit"))
        #expect(Self.header(reader.next())?["op"] == "after")
    }

    @Test func anEndInsideAFrameIsTheEnd() throws {
        let (reader, write, done) = try Self.pipe()
        defer { done() }
        Self.write(Array(Self.frame(#"{"op":"a"}"#).dropLast()), to: write)
        close(write)
        guard case .end = reader.next() else {
            Issue.record("a frame cut short is not the end")
            return
        }
    }
}

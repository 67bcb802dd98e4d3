import Foundation
import Glibc
import Synchronization
import WorkerFrames

/// Output that reaches the worker on pipes, sent to the runtime as output
/// frames within the run's output cap: a remote worker's raw output (what
/// the program, its copies and its subprocesses write to fds 1 and 2), or a
/// local worker's copies' output (``CopyOutput``; its raw output goes to the
/// runtime on pipes of its own). Flushed before each output or event frame
/// of the worker's own, so that what a copy wrote first comes first.
final class RawOutputForwarder: Sendable {
    /// The running forwarder, when this worker is remote.
    nonisolated(unsafe) static var current: RawOutputForwarder?

    private let descriptors: [Int32]
    private let channel: WorkerChannel
    /// Bytes of a character cut by a read, per stream, held for the next read.
    private let pending = Mutex<[[UInt8]]>([[], []])

    init(stdout: Int32, stderr: Int32, channel: WorkerChannel) {
        descriptors = [stdout, stderr]
        self.channel = channel
    }

    /// Starts the forwarding thread (after Landlock, so that it is bound too).
    func start() {
        Self.current = self
        let thread = Thread { [self] in forward() }
        thread.name = "raw-output"
        thread.start()
    }

    /// Sends what is already written, before the run's end is reported: its
    /// output comes before its end, as from a local worker.
    func flush() {
        // One system call when nothing is waiting (before each print of the
        // program's own, usually so).
        var polled = descriptors.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        guard poll(&polled, nfds_t(polled.count), 0) > 0 else { return }
        for index in 0..<2 { while forward(index, waiting: false) {} }
    }

    private func forward() {
        var open = [true, true]
        while open[0] || open[1] {
            var polled = (0..<2).map { pollfd(fd: open[$0] ? descriptors[$0] : -1, events: Int16(POLLIN), revents: 0) }
            if poll(&polled, 2, -1) < 0 {
                if errno == EINTR { continue }
                return
            }
            for index in 0..<2 where polled[index].revents != 0 {
                if !forward(index, waiting: true) { open[index] = false }
            }
        }
    }

    /// Reads one chunk of stream `index` and sends its whole characters.
    /// Returns false at its end, or (not `waiting`) when nothing is there.
    ///
    /// Probed again under the lock even when `waiting`: a `flush` from the
    /// worker's own output may have taken what the forwarding thread's poll
    /// saw, and a blocking read under the lock would then hold every later
    /// `flush`, and so the program's next print, until a copy wrote again.
    private func forward(_ index: Int, waiting: Bool) -> Bool {
        pending.withLock { pending in
            var probe = pollfd(fd: descriptors[index], events: Int16(POLLIN), revents: 0)
            guard poll(&probe, 1, 0) > 0 else { return waiting }
            var buffer = [UInt8](repeating: 0, count: 64 << 10)
            var got = -1
            while got < 0 {
                got = buffer.withUnsafeMutableBytes { read(descriptors[index], $0.baseAddress, $0.count) }
                if got < 0 && errno != EINTR { return false }
            }
            guard got > 0 else { return false }
            pending[index] += buffer[0..<got]
            let whole = Self.completeUTF8Prefix(pending[index])
            guard whole > 0 else { return true }
            let text = String(decoding: pending[index][0..<whole], as: UTF8.self)
            pending[index].removeFirst(whole)
            channel.sendOutput(stream: index == 0 ? .stdout : .stderr, text: text)
            return true
        }
    }

    /// How many leading bytes end on a character boundary (a trailing,
    /// possibly incomplete sequence of up to 3 bytes is held back).
    static func completeUTF8Prefix(_ bytes: [UInt8]) -> Int {
        var back = 0
        while back < min(3, bytes.count) {
            let byte = bytes[bytes.count - back - 1]
            if byte & 0xC0 != 0x80 {
                let length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 1
                return length > back + 1 ? bytes.count - back - 1 : bytes.count
            }
            back += 1
        }
        return bytes.count
    }
}

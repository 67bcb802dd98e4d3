import Foundation
import Glibc
import RuntimeCore
import RuntimeProtocol

/// Where `runtimectl` writes what happens.
protocol RunOutput: Sendable {
    func event(_ event: SessionEvent)
    func placeholder(_ value: PlaceholderValue, sessionId: String)
    func requestFailed(_ error: RuntimeError)
}

/// Standard output and error, written unbuffered. A reader that goes away
/// (`runtimectl … | head -3`) ends runtimectl quietly with status 141, as
/// SIGPIPE ends other Unix tools (NIO ignores SIGPIPE, so the write fails
/// with EPIPE instead); any other failure to write the output (a full disk)
/// is said on standard error and ends it with 1. A failing standard error is
/// ignored.
enum Console {
    static func out(_ text: String) {
        let failure = write(text, to: 1)
        if failure == 0 { return }
        if failure == EPIPE { exit(141) }
        _ = write("runtimectl: cannot write the output: \(String(cString: strerror(failure)))\n", to: 2)
        exit(1)
    }

    static func err(_ text: String) {
        _ = write(text, to: 2)
    }

    /// 0 once every byte is written, else the error number.
    private static func write(_ text: String, to fd: Int32) -> Int32 {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            if written < 0 && errno == EAGAIN {
                // A non-blocking descriptor handed to us: wait until it takes more.
                var ready = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                _ = poll(&ready, 1, -1)
                continue
            }
            guard written > 0 else { return written == 0 ? EIO : errno }
            bytes = bytes.dropFirst(written)
        }
        return 0
    }
}

/// For people: the program's own output as it comes, the traceback on failure,
/// placeholder values after the run.
struct HumanOutput: RunOutput {
    func event(_ event: SessionEvent) {
        switch event.kind {
        case .output(.stdout, let text, _): Console.out(text)
        case .output(.stderr, let text, _): Console.err(text)
        case .failed(let error): Console.err(error.text.hasSuffix("\n") ? error.text : error.text + "\n")
        case .stopped(let killed): Console.err(killed ? "stopped (worker killed)\n" : "stopped\n")
        case .started, .placeholderReady, .finished: break
        }
    }

    func placeholder(_ value: PlaceholderValue, sessionId: String) {
        ValuePrinter.print(value.wireMessage(sessionId: sessionId))
    }

    func requestFailed(_ error: RuntimeError) {
        Console.err("error: \(error.message) [\(error.code)]\n")
    }
}

/// For scripts: one wire-protocol message per line.
struct JSONLinesOutput: RunOutput {
    func event(_ event: SessionEvent) { Console.out(event.wireMessage.jsonString + "\n") }

    func placeholder(_ value: PlaceholderValue, sessionId: String) {
        Console.out(value.wireMessage(sessionId: sessionId).jsonString + "\n")
    }

    func requestFailed(_ error: RuntimeError) {
        Console.out(ProtocolError(error).wireMessage.jsonString + "\n")
    }
}

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
/// with EPIPE instead); a failing standard error is ignored.
enum Console {
    static func out(_ text: String) {
        if !write(text, to: 1) { exit(141) }
    }

    static func err(_ text: String) {
        _ = write(text, to: 2)
    }

    /// Whether every byte was written.
    private static func write(_ text: String, to fd: Int32) -> Bool {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return false }
            bytes = bytes.dropFirst(written)
        }
        return true
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

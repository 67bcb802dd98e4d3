import Foundation
import RuntimeCore
import RuntimeProtocol

/// Where `runtimectl` writes what happens.
protocol RunOutput: Sendable {
    func event(_ event: SessionEvent)
    func placeholder(_ value: PlaceholderValue, sessionId: String)
    func requestFailed(_ error: RuntimeError)
}

enum Console {
    static func out(_ text: String) { FileHandle.standardOutput.write(Data(text.utf8)) }
    static func err(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }
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

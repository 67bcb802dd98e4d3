import RuntimeCore
import RuntimeProtocol

/// A session's events for people: the program's output on its own streams,
/// what happened on stderr.
enum EventPrinter {
    static func print(_ event: JSONValue) {
        switch event.messageType {
        case .output?:
            let text = event["text"]?.stringValue ?? ""
            if event["stream"]?.stringValue == "stderr" { Console.err(text) } else { Console.out(text) }
        case .placeholderReady?:
            Console.err("• \(event["name"]?.stringValue ?? "?") (\(event["valueType"]?.stringValue ?? "?"))\n")
        case .executionFinished?:
            Console.err("finished in \(DurationFormat.text(milliseconds: event["durationMs"]?.intValue ?? 0))\n")
        case .executionFailed?:
            let text = event["error"]?["text"]?.stringValue ?? event["error"]?["message"]?.stringValue ?? "failed"
            Console.err(text.hasSuffix("\n") ? text : text + "\n")
        case .executionStoppedEvent?:
            Console.err(event["killed"]?.boolValue == true ? "stopped (worker killed)\n" : "stopped\n")
        default:
            break
        }
    }
}

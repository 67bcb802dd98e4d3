import RuntimeCore
import RuntimeProtocol

/// A session's events for people: the program's output on its own streams,
/// what happened on stderr.
enum EventPrinter {
    static func print(_ event: JSONValue) {
        switch event["type"]?.stringValue {
        case "[run]:OUTPUT":
            let text = event["text"]?.stringValue ?? ""
            if event["stream"]?.stringValue == "stderr" { Console.err(text) } else { Console.out(text) }
        case "[placeholder]:READY":
            Console.err("• \(event["name"]?.stringValue ?? "?") (\(event["valueType"]?.stringValue ?? "?"))\n")
        case "[state]:EXECUTION_FINISHED":
            Console.err("finished in \(DurationFormat.text(milliseconds: event["durationMs"]?.intValue ?? 0))\n")
        case "[state]:EXECUTION_FAILED":
            let text = event["error"]?["text"]?.stringValue ?? event["error"]?["message"]?.stringValue ?? "failed"
            Console.err(text.hasSuffix("\n") ? text : text + "\n")
        case "[state]:EXECUTION_STOPPED":
            Console.err(event["killed"]?.boolValue == true ? "stopped (worker killed)\n" : "stopped\n")
        default:
            break
        }
    }
}

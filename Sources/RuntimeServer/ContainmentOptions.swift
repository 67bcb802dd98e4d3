import ArgumentParser
import Foundation
import RuntimeCore

/// How sessions are contained (see Docs/Security.md).
struct ContainmentOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Uids for sessions, one per live session and per warm worker (server running as root); a range smaller than --max-sessions lowers it.", valueName: "first-last"))
    var workerUids: String?

    @Flag(help: "Let a server running as root run sessions as root (not recommended).")
    var allowRootWorkers = false

    @Option(help: ArgumentHelp("An environment variable passed on to programs (repeatable); nothing else of the server's is.",
                               valueName: "name"))
    var workerEnv: [String] = []

    @Option(help: "Processes and threads a session may have at once.")
    var maxProcesses = 512

    @Option(help: "A session's network: full (the machine's) or none (loopback only).")
    var workerNetwork: String = Containment.Network.full.rawValue

    func validate() throws {
        guard Containment.Network(rawValue: workerNetwork) != nil else {
            throw ValidationError("--worker-network takes full or none")
        }
        if let workerUids, Self.range(workerUids) == nil {
            throw ValidationError("--worker-uids takes FIRST-LAST, e.g. 200000-265535, above 0")
        }
        guard maxProcesses > 0 else { throw ValidationError("--max-processes must be positive") }
        if let refusal = containment().refusal() { throw ValidationError(refusal) }
    }

    /// The configuration these options describe.
    func containment() -> Containment {
        let identity: Containment.Identity?
        if let range = workerUids.flatMap(Self.range) {
            identity = .uidRange(range)
        } else if allowRootWorkers {
            identity = .serverUser
        } else {
            identity = nil
        }
        return Containment(identity: identity, allowRootWorkers: allowRootWorkers, environmentAllowList: workerEnv,
                           maximumProcesses: maxProcesses, network: Containment.Network(rawValue: workerNetwork) ?? .full)
    }

    private static func range(_ text: String) -> ClosedRange<UInt32>? {
        let parts = text.split(separator: "-")
        guard parts.count == 2, let first = UInt32(parts[0]), let last = UInt32(parts[1]), first > 0, first <= last else { return nil }
        return first...last
    }
}

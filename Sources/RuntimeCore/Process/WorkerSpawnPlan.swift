import Foundation
import RuntimeJSON
import WorkerFrames

/// How to start one worker process.
struct WorkerSpawnPlan: Sendable {
    var executable: String
    var arguments: [String]
    /// The sandbox's part of `arguments` (what a fork server's request carries).
    var sandboxArguments: [String]
    var environment: [String: String]
    /// The worker's cgroups, removed once it has ended.
    var cgroup: WorkerCgroup?
    /// The uid the worker switches to, if any.
    var uid: UInt32?
    /// The largest frame accepted from the worker.
    var maximumFrameBytes: Int
    /// Where the worker's replies are read (nil: on its reader thread).
    var replyReader: (any WorkerReplyReader)?
    /// Runs once the process has been reaped (gives its uid back).
    var onEnd: @Sendable () -> Void = {}
}

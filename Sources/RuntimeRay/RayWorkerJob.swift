import Logging
import RuntimeCore

/// A session worker running as a Ray job: where it runs, stopping it, and
/// why it ended, all through the Jobs API.
///
/// Callers share one poll of the job, which runs only while someone waits
/// and ends when the job ends or is stopped (see ``RayWorkerLauncher/pollInterval``).
public final class RayWorkerJob: RemoteWorkerJob {
    /// The job's submission id.
    public let id: String
    /// How long ``stop()`` waits for the job to end before it gives up on it.
    public let stopTimeout: Duration
    private let client: RayJobsClient
    private let monitor: RayJobMonitor
    private let reaper: RayJobReaper
    private let logger: Logger

    init(id: String, client: RayJobsClient, pollInterval: ClosedRange<Duration>, stopTimeout: Duration,
         reaper: RayJobReaper, logger: Logger) {
        self.id = id
        self.client = client
        self.stopTimeout = stopTimeout
        self.reaper = reaper
        var logger = logger
        logger[metadataKey: "ray.job"] = "\(id)"
        self.logger = logger
        // A dashboard silent for six stop timeouts (a minute by default) ends the watch.
        monitor = RayJobMonitor(id: id, client: client, interval: pollInterval, unreachableLimit: stopTimeout * 6,
                                logger: logger)
    }

    /// The latest details Ray gave about the job, without asking again
    /// (nil before the first answer).
    public var latestInfo: RayJobInfo? { monitor.snapshot.info }

    /// Whether a poll of the job runs now (someone waits on it).
    public var isPolling: Bool { monitor.isPolling }

    /// The pause of the poll between two answers, if it is in one (for tests).
    var currentPause: Duration? { monitor.currentPause }

    /// The id of the node the job runs on (Ray's `driver_node_id`, 56 hex
    /// digits), waiting while it is `PENDING`; nil when the job ended without
    /// running, or the waiting task is cancelled.
    public func node() async -> String? {
        await monitor.wait { $0.info?.driverNodeID != nil }.info?.driverNodeID
    }

    /// Waits until the job is no longer `PENDING` (it runs, or has ended);
    /// returns its details then (nil when the waiting task is cancelled first).
    public func started() async -> RayJobInfo? {
        await monitor.wait { $0.info.map { $0.status != .pending } ?? false }.info
    }

    /// Stops the job: asks Ray to stop it and waits at most ``stopTimeout``
    /// for it to end (Ray stops a running job in about half a second).
    /// The ended job is deleted from Ray a little later, by the launcher
    /// (see ``RayWorkerLauncher/deleteEndedJobs()``). A job that does not end
    /// in time is left to Ray, and said in the log: Ray 2.60 stops a
    /// `PENDING` job only once it has a node. Afterwards ``ended()`` returns
    /// at once.
    public func stop() async {
        if monitor.snapshot.info?.status.isTerminal != true {
            do {
                _ = try await client.stop(id)
            } catch {
                logger.warning("cannot ask Ray to stop a job", metadata: ["error": "\(error.message)"])
            }
            if !(await waitForEnd(within: stopTimeout)) {
                logger.warning("a Ray job did not end in time after its stop; it is left to Ray",
                               metadata: ["timeout": "\(stopTimeout)",
                                          "status": "\(monitor.snapshot.info?.status.rawValue ?? "unknown")"])
            }
        }
        let snapshot = monitor.snapshot
        if snapshot.info?.status.isTerminal == true, let endedAt = snapshot.endedAt {
            reaper.schedule(id, endedAt: endedAt)
        }
        monitor.finish(reason: "the Ray job \(id) was stopped by the runtime")
    }

    /// Waits until the job has ended, and returns why: `the Ray job ID
    /// FAILED: Ray's message`, `the Ray job ID was STOPPED`, `the Ray job ID
    /// SUCCEEDED ...`, or that it was deleted, or that Ray stopped answering.
    public func ended() async -> String {
        await monitor.wait { $0.end != nil }.end ?? "the wait for the Ray job \(id) to end was cancelled"
    }

    /// Whether the job ended within `timeout`.
    private func waitForEnd(within timeout: Duration) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask { await self.monitor.wait { $0.end != nil }.end != nil }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            defer { group.cancelAll() }
            return await group.next() ?? false
        }
    }
}

import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import RuntimeCore

/// Starts each session worker as a Ray job through the Ray Jobs REST API of
/// a dashboard (`http://HOST:8265`): the job's entrypoint is the worker
/// command, its `entrypoint_*` resources are the worker's, and Ray picks a
/// node that has them.
///
/// Jobs carry metadata naming the server that submitted them
/// (``serverMetadataKey``), so ``stopAll(ownedBy:)`` can find and stop a
/// server's jobs at shutdown, or after a crash at the next start.
public final class RayWorkerLauncher: RemoteWorkerLauncher {
    /// `"ray"`.
    public let name = "ray"
    /// The Jobs API client.
    public let client: RayJobsClient
    /// Who submits the jobs: the value of their ``serverMetadataKey`` metadata.
    public let server: String
    /// How often a job is asked about while someone waits on it: the lower
    /// bound at first, doubling up to the upper bound while it runs unchanged.
    public let pollInterval: ClosedRange<Duration>
    /// How long stopping a job waits for it to end.
    public let stopTimeout: Duration
    /// How long after a job ended it is deleted (see ``RayJobsClient/delete(_:)``).
    public let deleteDelay: Duration
    private let ownedHTTPClient: HTTPClient?
    private let reaper: RayJobReaper
    private let logger: Logger

    /// The prefix of every job's submission id (then the launch's id).
    public static let submissionIDPrefix = "runtime-worker-"
    /// The metadata key naming the server that submitted a job.
    public static let serverMetadataKey = "python_runtime_server"
    /// The metadata key holding the launch's id.
    public static let workerMetadataKey = "python_runtime_worker"

    /// A launcher submitting to the dashboard at `dashboard` (`http://HOST:8265`)
    /// on behalf of `server` (a name that tells this server from others
    /// sharing the cluster, e.g. its host and port).
    ///
    /// With no `httpClient`, the launcher makes its own, which ``shutdown()``
    /// releases (or, failing that, the launcher's release); one given stays
    /// the caller's. Shut a launcher down when done with it: the jobs it
    /// stopped are deleted from Ray then. Every call to the dashboard takes at most
    /// `requestTimeout`; the other settings are described by the properties
    /// of the same names.
    /// Throws `INVALID_REQUEST` for an address that is not `http://` or `https://`.
    public init(dashboard: String, server: String, httpClient: HTTPClient? = nil,
                logger: Logger = Logger(label: "runtime.ray"),
                pollInterval: ClosedRange<Duration> = .milliseconds(500) ... .seconds(5),
                stopTimeout: Duration = .seconds(10), deleteDelay: Duration = .seconds(3),
                requestTimeout: Duration = .seconds(10)) throws(RuntimeError) {
        let owned: HTTPClient?
        let http: HTTPClient
        if let httpClient {
            owned = nil
            http = httpClient
        } else {
            let timeout = RayJobsClient.timeAmount(requestTimeout)
            let configuration = HTTPClient.Configuration(redirectConfiguration: .disallow,
                                                         timeout: .init(connect: timeout, read: timeout))
            http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
            owned = http
        }
        do {
            client = try RayJobsClient(address: dashboard, httpClient: http, timeout: requestTimeout)
        } catch {
            try? owned?.syncShutdown()
            throw error
        }
        ownedHTTPClient = owned
        reaper = RayJobReaper(client: client, delay: deleteDelay, logger: logger)
        self.server = server
        self.logger = logger
        self.pollInterval = pollInterval
        self.stopTimeout = stopTimeout
        self.deleteDelay = deleteDelay
    }

    deinit {
        // An HTTPClient released before its shutdown traps; this one shuts
        // down by itself (it stays alive until it has), and after a
        // shutdown() it only answers that it already had.
        ownedHTTPClient?.shutdown { _ in }
    }

    /// Submits one job for `launch`: submission id the launch's id (with
    /// ``submissionIDPrefix`` before it unless it starts with that already),
    /// entrypoint `exec` and the arguments quoted for `/bin/sh`, the resources
    /// and environment asked for, and metadata naming this server.
    /// Returns once Ray accepted the job (it may then wait, `PENDING`, for a
    /// node with the resources). Deletes the ended jobs whose time has come
    /// (see ``deleteEndedJobs()``) on the way.
    public func launch(_ launch: RemoteWorkerLaunch) async throws(RuntimeError) -> any RemoteWorkerJob {
        try await submit(launch)
    }

    /// ``launch(_:)`` with the concrete job type.
    public func submit(_ launch: RemoteWorkerLaunch) async throws(RuntimeError) -> RayWorkerJob {
        let id = launch.id.hasPrefix(Self.submissionIDPrefix) ? launch.id : Self.submissionIDPrefix + launch.id
        let submission = try RayJobSubmission(
            submissionID: id, arguments: launch.arguments,
            resources: launch.resources, environment: launch.environment,
            metadata: [Self.serverMetadataKey: server, Self.workerMetadataKey: launch.id])
        _ = try await client.submit(submission)
        logger.debug("submitted a Ray job", metadata: ["ray.job": "\(id)", "resources": "\(launch.resources)"])
        await reaper.deleteDue()
        return job(id: id)
    }

    /// A handle on the job with this submission id (one submitted before, by
    /// this launcher or another).
    public func job(id: String) -> RayWorkerJob {
        RayWorkerJob(id: id, client: client, pollInterval: pollInterval, stopTimeout: stopTimeout, reaper: reaper,
                     logger: logger)
    }

    /// Stops every job that `server` (this launcher's ``server`` when nil)
    /// submitted and that has not ended, as ``RayWorkerJob/stop()`` does, all
    /// at once, and deletes all of that server's jobs from Ray: at once those
    /// that ended over half a minute ago, the others once they have been over
    /// for ``deleteDelay`` (at the next launch, ``deleteEndedJobs()`` or
    /// ``shutdown()``). Also deletes the records Ray made up for jobs deleted
    /// too early (see ``RayJobsClient/delete(_:)``) whose ids have
    /// ``submissionIDPrefix``. Returns the submission ids of the jobs it
    /// stopped, once they have ended (or ``stopTimeout`` has passed).
    @discardableResult
    public func stopAll(ownedBy server: String? = nil) async throws(RuntimeError) -> [String] {
        let owner = server ?? self.server
        let jobs = try await client.list()
        let owned = jobs.filter { $0.metadata[Self.serverMetadataKey] == owner }
        let running = owned.filter { !$0.status.isTerminal }.compactMap(\.submissionID)
        // Ray's clock against ours: a skew over the margin costs one record Ray remakes.
        let longAgo = Int(Date().timeIntervalSince1970 * 1000) - 30_000
        let old = owned.filter { $0.status.isTerminal && ($0.endTime ?? .max) < longAgo }.compactMap(\.submissionID)
        let recent = owned.filter { $0.status.isTerminal && ($0.endTime ?? .max) >= longAgo }.compactMap(\.submissionID)
        let remade = jobs.filter(Self.isRemadeRecord).compactMap(\.submissionID)
        if !running.isEmpty {
            logger.info("stopping the Ray jobs of a server", metadata: ["server": "\(owner)", "jobs": "\(running)"])
        }
        for id in recent { reaper.schedule(id, endedAt: .now) }
        await withTaskGroup(of: Void.self) { group in
            for id in running {
                group.addTask { await self.job(id: id).stop() }
            }
            group.addTask { await self.reaper.deleteNow(old + remade) }
        }
        return running
    }

    /// Stops the jobs a crashed run of this server left (``stopAll(ownedBy:)``):
    /// the runtime calls it once, before its first launch.
    public func prepare() async throws(RuntimeError) {
        let stopped = try await stopAll()
        if !stopped.isEmpty {
            logger.warning("stopped Ray jobs an earlier run of this server left", metadata: ["jobs": "\(stopped)"])
        }
    }

    /// A record Ray re-created, with nothing of the job in it, for one of
    /// this backend's jobs deleted while Ray still watched it.
    static func isRemadeRecord(_ job: RayJobInfo) -> Bool {
        guard let id = job.submissionID else { return false }
        return id.hasPrefix(submissionIDPrefix) && job.status.isTerminal && job.metadata.isEmpty
            && job.entrypoint == "Entrypoint not found."
    }

    /// Deletes from Ray the jobs stopped so far (``RayWorkerJob/stop()``
    /// leaves that to the launcher), waiting until each has been over for
    /// ``deleteDelay``. ``launch(_:)`` deletes those whose time has come;
    /// ``shutdown()`` calls this.
    public func deleteEndedJobs() async {
        await reaper.deleteAll()
    }

    /// The ids of the stopped jobs not yet deleted from Ray.
    public var jobsToDelete: [String] { reaper.waiting.sorted() }

    /// Deletes the stopped jobs (``deleteEndedJobs()``), then releases the
    /// HTTP client the launcher made (not one it was given). The runtime
    /// calls it once, at its shutdown, after it stopped every worker.
    public func shutdown() async {
        await reaper.deleteAll()
        guard let ownedHTTPClient else { return }
        do {
            try await ownedHTTPClient.shutdown()
        } catch {
            logger.debug("the Ray launcher's HTTP client was already shut down", metadata: ["error": "\(error)"])
        }
    }
}

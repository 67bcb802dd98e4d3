import AsyncHTTPClient
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
    /// How often a job is asked about while someone waits on it.
    public let pollInterval: Duration
    /// How long stopping a job waits for it to end.
    public let stopTimeout: Duration
    private let ownedHTTPClient: HTTPClient?
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
    /// releases; one given stays the caller's. Every call to the dashboard
    /// takes at most `requestTimeout`.
    /// Throws `INVALID_REQUEST` for an address that is not `http://` or `https://`.
    public init(dashboard: String, server: String, httpClient: HTTPClient? = nil,
                logger: Logger = Logger(label: "runtime.ray"), pollInterval: Duration = .milliseconds(500),
                stopTimeout: Duration = .seconds(10), requestTimeout: Duration = .seconds(10)) throws(RuntimeError) {
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
            client = try RayJobsClient(address: dashboard, httpClient: http, timeout: requestTimeout, logger: logger)
        } catch {
            try? owned?.syncShutdown()
            throw error
        }
        ownedHTTPClient = owned
        self.server = server
        self.logger = logger
        self.pollInterval = pollInterval
        self.stopTimeout = stopTimeout
    }

    /// Submits one job for `launch`: submission id `runtime-worker-ID`,
    /// entrypoint `exec` and the arguments quoted for `/bin/sh`, the resources
    /// and environment asked for, and metadata naming this server.
    /// Returns once Ray accepted the job (it may then wait, `PENDING`, for a
    /// node with the resources).
    public func launch(_ launch: RemoteWorkerLaunch) async throws(RuntimeError) -> any RemoteWorkerJob {
        try await submit(launch)
    }

    /// ``launch(_:)`` with the concrete job type.
    public func submit(_ launch: RemoteWorkerLaunch) async throws(RuntimeError) -> RayWorkerJob {
        let submission = try RayJobSubmission(
            submissionID: Self.submissionIDPrefix + launch.id, arguments: launch.arguments,
            resources: launch.resources, environment: launch.environment,
            metadata: [Self.serverMetadataKey: server, Self.workerMetadataKey: launch.id])
        let id = try await client.submit(submission)
        logger.debug("submitted a Ray job", metadata: ["ray.job": "\(id)", "resources": "\(launch.resources)"])
        return job(id: id)
    }

    /// A handle on the job with this submission id (one submitted before, by
    /// this launcher or another).
    public func job(id: String) -> RayWorkerJob {
        RayWorkerJob(id: id, client: client, pollInterval: pollInterval, stopTimeout: stopTimeout, logger: logger)
    }

    /// Stops every job that `server` (this launcher's ``server`` when nil)
    /// submitted and that has not ended, as ``RayWorkerJob/stop()`` does, all at
    /// once; then deletes that server's ended jobs from Ray. Returns the
    /// submission ids of the jobs it stopped. For a shutdown, and for a start
    /// after a crash.
    @discardableResult
    public func stopAll(ownedBy server: String? = nil) async throws(RuntimeError) -> [String] {
        let owner = server ?? self.server
        let jobs = try await client.list().filter { $0.metadata[Self.serverMetadataKey] == owner }
        let running = jobs.filter { !$0.status.isTerminal }.compactMap(\.submissionID)
        let ended = jobs.filter(\.status.isTerminal).compactMap(\.submissionID)
        if !running.isEmpty {
            logger.info("stopping the Ray jobs of a server", metadata: ["server": "\(owner)", "jobs": "\(running)"])
        }
        await withTaskGroup(of: Void.self) { group in
            for id in running {
                group.addTask { await self.job(id: id).stop() }
            }
            for id in ended {
                group.addTask {
                    do throws(RuntimeError) {
                        _ = try await self.client.delete(id)
                    } catch {
                        self.logger.warning("cannot delete an ended Ray job",
                                            metadata: ["ray.job": "\(id)", "error": "\(error.message)"])
                    }
                }
            }
        }
        return running
    }

    /// Releases the HTTP client the launcher made (not one it was given).
    /// Call it once no job is in use any more.
    public func shutdown() async {
        guard let ownedHTTPClient else { return }
        do {
            try await ownedHTTPClient.shutdown()
        } catch {
            logger.debug("the Ray launcher's HTTP client was already shut down", metadata: ["error": "\(error)"])
        }
    }
}

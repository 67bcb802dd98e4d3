import Logging
import RuntimeCore
import Synchronization

/// Deletes ended jobs from Ray, each once Ray has stopped watching it.
///
/// Ray 2.60 watches a job for a second or two after it ended; a job deleted
/// in that time comes back as a record with nothing of the job in it (see
/// ``RayJobsClient/delete(_:)``). So a stopped job is not deleted at once,
/// which would hold up every worker's stop by that long: it is written
/// down here with the time it may go, and deleted by the launcher's next
/// ``deleteDue()`` (at each launch) or ``deleteAll()`` (at its shutdown).
/// No task of its own runs in between.
final class RayJobReaper: Sendable {
    private let client: RayJobsClient
    private let delay: Duration
    private let logger: Logger
    /// Each job to delete, and from when.
    private let due = Mutex<[String: ContinuousClock.Instant]>([:])

    init(client: RayJobsClient, delay: Duration, logger: Logger) {
        self.client = client
        self.delay = delay
        self.logger = logger
    }

    /// Deletes `id` once `delay` has passed since `endedAt`.
    func schedule(_ id: String, endedAt: ContinuousClock.Instant) {
        due.withLock { $0[id] = endedAt + delay }
    }

    /// Deletes `ids` now (jobs that ended long ago).
    func deleteNow(_ ids: [String]) async {
        await delete(ids)
    }

    /// The jobs waiting to be deleted.
    var waiting: [String] { due.withLock { Array($0.keys) } }

    /// Deletes the jobs whose time has come.
    func deleteDue() async {
        let now = ContinuousClock.now
        let ids = due.withLock { due -> [String] in
            let ready = due.filter { $0.value <= now }.map(\.key)
            for id in ready { due[id] = nil }
            return ready
        }
        await delete(ids)
    }

    /// Deletes every job written down, waiting until the last one's time
    /// has come.
    func deleteAll() async {
        let (ids, last) = due.withLock { due -> ([String], ContinuousClock.Instant?) in
            defer { due = [:] }
            return (Array(due.keys), due.values.max())
        }
        if let last { try? await Task.sleep(until: last, clock: .continuous) }
        await delete(ids)
    }

    /// Deletes `ids` all at once; one that cannot be deleted now (the
    /// dashboard is away, the task was cancelled) is written down again.
    private func delete(_ ids: [String]) async {
        guard !ids.isEmpty else { return }
        await withTaskGroup(of: Void.self) { group in
            for id in ids {
                group.addTask {
                    do throws(RuntimeError) {
                        _ = try await self.client.delete(id)
                    } catch {
                        self.logger.warning("cannot delete an ended Ray job",
                                            metadata: ["ray.job": "\(id)", "error": "\(error.message)"])
                        self.due.withLock { $0[id] = $0[id] ?? .now }
                    }
                }
            }
        }
    }
}

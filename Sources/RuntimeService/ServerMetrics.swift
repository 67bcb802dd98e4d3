import CoreMetrics
import Foundation
import Prometheus
import RuntimeCore
import RuntimeProtocol
import Synchronization

/// The server's Prometheus metrics, in a registry of its own (so several
/// servers can live in one process, as in tests).
public final class ServerMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    /// The kept values' hit and miss totals at the last scrape, for the counters' increments.
    private let keptValueReads = Mutex((hits: 0, misses: 0))
    /// Each action's request counter and duration timer, made once: made per
    /// request, their registry look-up with name checks took 3.6 % of the
    /// server's CPU in a `run_model` profile.
    private let actionMetrics: [String: (requests: CoreMetrics.Counter, duration: CoreMetrics.Timer)]
    /// Each user's request counter, made on the user's first request.
    private let userRequests = Mutex([String: CoreMetrics.Counter]())

    public init() {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2.5),
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10),
        ]
        self.factory = factory
        var actionMetrics: [String: (requests: CoreMetrics.Counter, duration: CoreMetrics.Timer)] = [:]
        for action in WireRequest.actions + ["unknown"] {
            actionMetrics[action] = (
                Counter(label: "runtime_requests_total", dimensions: [("action", action)], factory: factory),
                Timer(label: "runtime_request_duration_seconds", dimensions: [("action", action)], factory: factory))
        }
        self.actionMetrics = actionMetrics
    }

    func request(action: String, duration: Duration) {
        guard let metrics = actionMetrics[action] ?? actionMetrics["unknown"] else { return }
        metrics.requests.increment()
        metrics.duration.recordNanoseconds(duration.nanoseconds)
    }

    func error(code: String) {
        Counter(label: "runtime_errors_total", dimensions: [("code", code)], factory: factory).increment()
    }

    /// Counts a request (well-formed or not) by the user who sent it.
    func request(user: ServerUser) {
        let counter = userRequests.withLock { counters in
            if let counter = counters[user.name] { return counter }
            let counter = Counter(label: "runtime_user_requests_total", dimensions: [("user", user.name)], factory: factory)
            counters[user.name] = counter
            return counter
        }
        counter.increment()
    }

    func runStarted(user: ServerUser) {
        Counter(label: "runtime_runs_total", factory: factory).increment()
        Counter(label: "runtime_user_runs_total", dimensions: [("user", user.name)], factory: factory).increment()
    }

    /// A connection closed because its client stopped reading.
    func slowClientClosed(user: ServerUser) {
        Counter(label: "runtime_slow_clients_closed_total", dimensions: [("user", user.name)], factory: factory).increment()
    }

    /// The Prometheus text, with the session gauges brought up to date first.
    func render(runtime: Runtime) async -> String {
        var counts = Dictionary(uniqueKeysWithValues: SessionStatus.allCases.map { ($0, 0) })
        for session in await runtime.allSessions() {
            counts[await session.snapshot().status, default: 0] += 1
        }
        for (status, count) in counts {
            Gauge(label: "runtime_sessions", dimensions: [("status", status.rawValue)], factory: factory).record(count)
        }
        Gauge(label: "runtime_ready_workers", factory: factory).record(await runtime.readyWorkers())
        let kept = runtime.valueCacheUsage
        Gauge(label: "runtime_kept_value_bytes", factory: factory).record(kept.bytes)
        Gauge(label: "runtime_kept_values", factory: factory).record(kept.values)
        let (hits, misses) = keptValueReads.withLock { last in
            defer { last = (kept.hits, kept.misses) }
            return (kept.hits - last.hits, kept.misses - last.misses)
        }
        Counter(label: "runtime_kept_value_hits_total", factory: factory).increment(by: max(0, hits))
        Counter(label: "runtime_kept_value_misses_total", factory: factory).increment(by: max(0, misses))
        return registry.emitToString()
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}

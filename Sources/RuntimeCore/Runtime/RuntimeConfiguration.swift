import Foundation
import RuntimeJSON
import WorkerFrames

/// Everything a ``Runtime`` can be told. Every field has a sensible default.
public struct RuntimeConfiguration: Sendable {
    /// The Python environment workers embed (see ``PythonEnvironment/resolve(explicit:environment:searchFrom:)``).
    public var python: PythonEnvironment
    /// How worker processes are started.
    public var worker: WorkerLauncher
    /// Idle workers kept started and ready, so a run does not wait for an interpreter.
    public var warmWorkers: Int
    /// Fork session workers from a fork server that has started the
    /// interpreter and imported `preloadModules` once (milliseconds per
    /// session, memory shared); false spawns each worker from the
    /// executable (`--no-fork-server`). Either way a session is isolated the same.
    public var forkServer: Bool
    /// Modules imported into idle workers ahead of time (e.g. `["numpy", "pandas"]`).
    public var preloadModules: [String]
    /// Runs executing at once; later ones wait as `queued`.
    public var maximumParallelRuns: Int
    /// Limits on a program's files.
    public var programLimits: ProgramLimits
    /// Bytes of output kept per run; past it the rest is dropped, with a notice.
    public var outputCapBytes: Int
    /// Rows sent for a table or array read without a window.
    public var defaultRowCap: Int
    /// Bytes the `display` bundle of one value may hold (all its MIME types
    /// together, as sent); past it the contents that do not fit are left out
    /// and named in its `truncated` list. 0: no `display` at all.
    public var displayByteLimit: Int
    /// How long a stop waits for `KeyboardInterrupt` before killing the worker.
    public var stopGracePeriod: Duration
    /// Memory a session may use, in bytes: all of its processes, for as long
    /// as it lives (a cgroup's limit where the server can make cgroups, else
    /// the resident memory of its process tree, watched). Past it the session's
    /// processes are killed: a running run fails with `WorkerCrashed`, an ended
    /// one loses its values, and both say which limit. Nil: no limit.
    public var memoryLimitBytes: Int?
    /// How long one placeholder read may take in the worker; past it the read
    /// stops and answers `LIMIT_EXCEEDED`, and the session serves on. Nil: no cap.
    /// A read whose caller is cancelled (its client went away) stops at once.
    public var readTimeLimit: Duration?
    /// Bytes of encoded placeholder values the runtime keeps, over all
    /// sessions, to answer a value read again without asking the worker. A
    /// value is kept only once its session's run has ended and when nothing
    /// can change it: no other thread or process of the program runs, and
    /// the read ran none of the program's code; a model call, statistics or
    /// a read that ran the program's code drops the session's values. 0 keeps none.
    public var valueCacheBytes: Int
    /// How sessions are kept apart from the server and from each other.
    public var containment: Containment
    /// The largest frame the runtime accepts from a worker; a larger one ends
    /// the worker (`WorkerProtocolViolation`).
    public var maximumWorkerFrameBytes: Int
    /// Placeholder names a session lists; a value saved under a new name past
    /// it is kept by the worker and readable by name, but not listed and
    /// without an event (one `stderr` notice says so).
    public var maximumPlaceholders: Int
    /// Events a session's log may hold. Output may take half of them, and
    /// placeholder events the other half (less five, for the run's start and
    /// end and the caps' notices): past its half each is cut with a
    /// notice (as output past ``outputCapBytes``), the values are still kept
    /// and listed, and the run goes on. A worker whose events pass the whole
    /// log is cut off.
    public var maximumEvents: Int
    /// Bytes of placeholder names and type names the placeholder events of a
    /// session's log may hold (each save records both, up to 1 KiB each);
    /// past it later saves have no event, as past their half of
    /// ``maximumEvents``, so a program saving long names again and again
    /// cannot grow the server by hundreds of megabytes.
    public var maximumPlaceholderEventBytes: Int
    /// Where sessions' working folders are made (a fresh folder per runtime inside it).
    public var workRoot: URL
    /// Calls models (`run_model`).
    public var modelInvoker: any ModelInvoker
    /// Computes dataset statistics (`get_stats`).
    public var statsEngine: any StatsEngine
    /// Where workers run: local child processes (the default) or remote
    /// ones placed by a ``RemoteWorkerLauncher`` (Ray).
    public var placement: WorkerPlacement
    /// Where local workers' replies are read (nil: on each worker's reader
    /// thread). The server reads them on its connections' event loops.
    package var replyReader: (any WorkerReplyReader)?

    /// A configuration; every argument left out takes the default its
    /// property describes. `python` and `worker` are looked up when the
    /// configuration is made (``PythonEnvironment/resolve(explicit:environment:searchFrom:)``,
    /// ``WorkerLauncher/locate(environment:)``).
    public init(
        python: PythonEnvironment = .resolve(),
        worker: WorkerLauncher = .locate(),
        warmWorkers: Int = 2,
        forkServer: Bool = true,
        preloadModules: [String] = [],
        maximumParallelRuns: Int = max(4, ProcessInfo.processInfo.activeProcessorCount),
        programLimits: ProgramLimits = ProgramLimits(),
        outputCapBytes: Int = 1 << 20,
        defaultRowCap: Int = 1000,
        displayByteLimit: Int = 5 << 20,
        stopGracePeriod: Duration = .seconds(1),
        memoryLimitBytes: Int? = nil,
        readTimeLimit: Duration? = .seconds(60),
        valueCacheBytes: Int = 256 << 20,
        containment: Containment = Containment(),
        maximumWorkerFrameBytes: Int = 256 << 20,
        maximumPlaceholders: Int = 10_000,
        maximumEvents: Int = 200_000,
        maximumPlaceholderEventBytes: Int = 8 << 20,
        workRoot: URL = FileManager.default.temporaryDirectory,
        modelInvoker: any ModelInvoker = PythonModelInvoker(),
        statsEngine: any StatsEngine = NativeStatsEngine(),
        placement: WorkerPlacement = .local
    ) {
        self.python = python
        self.worker = worker
        self.warmWorkers = warmWorkers
        self.forkServer = forkServer
        self.preloadModules = preloadModules
        self.maximumParallelRuns = maximumParallelRuns
        self.programLimits = programLimits
        self.outputCapBytes = outputCapBytes
        self.defaultRowCap = defaultRowCap
        self.displayByteLimit = displayByteLimit
        self.stopGracePeriod = stopGracePeriod
        self.memoryLimitBytes = memoryLimitBytes
        self.readTimeLimit = readTimeLimit
        self.valueCacheBytes = valueCacheBytes
        self.containment = containment
        self.maximumWorkerFrameBytes = maximumWorkerFrameBytes
        self.maximumPlaceholders = maximumPlaceholders
        self.maximumEvents = maximumEvents
        self.maximumPlaceholderEventBytes = maximumPlaceholderEventBytes
        self.workRoot = workRoot
        self.modelInvoker = modelInvoker
        self.statsEngine = statsEngine
        self.placement = placement
    }

    /// The worker's command-line arguments.
    package var workerArguments: [String] {
        var arguments = worker.leadingArguments + ["--python", python.executable]
        if !preloadModules.isEmpty { arguments += ["--preload", preloadModules.joined(separator: ",")] }
        return arguments
    }
}

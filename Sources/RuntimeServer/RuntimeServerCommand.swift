import ArgumentParser
import Foundation
import Logging
import NIOCore
import RuntimeCore
import RuntimeService

/// `RuntimeServer`: the WebSocket server. Options become a configuration;
/// everything else lives in RuntimeService.
@main
struct RuntimeServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "RuntimeServer",
        abstract: "Serve the Python runtime over WebSocket (plus / demo page, /healthz, /metrics).",
        discussion: """
            Secrets: give the shared token in a file, --token-file PATH (or $RUNTIME_TOKEN_FILE), readable \
            only by the server's user (chmod 600). --token and $RUNTIME_TOKEN still work, but a command line is \
            visible to every local user in /proc/PID/cmdline and ps. For several users, --users-file PATH \
            (or $RUNTIME_USERS_FILE) lists one name:hash per line, the hash made by `runtimectl hash-token`; \
            each user then sees only their own sessions. Tokens never appear in the log.

            Workers: sessions run in the runtime-worker executable named by $RUNTIME_WORKER, else the one \
            beside this executable, embedding --python. With the local backend the server refuses to start \
            when either cannot be run.
            """
    )

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on (0 picks a free one).") var port = 8765
    @Option(help: "A file holding the shared secret clients must send (also $RUNTIME_TOKEN_FILE); the recommended way.")
    var tokenFile: String?
    @Option(help: "Shared secret clients must send (also $RUNTIME_TOKEN); visible to local users in /proc: prefer --token-file.")
    var token: String?
    @Option(help: "A file of users, one name:hash per line (hash from `runtimectl hash-token`; also $RUNTIME_USERS_FILE).")
    var usersFile: String?
    @Option(help: "The Python to embed: a venv's bin/python.") var python: String?
    @Option(help: "Modules to import into warm workers, comma-separated; \"\" for none.") var preload = "numpy,pandas"
    @Option(help: "Idle workers kept ready.") var warmWorkers = 2
    @Flag(help: "Spawn every worker from the executable instead of forking it from a fork server that has the preloads imported.")
    var noForkServer = false
    @Option(help: "Runs executing at once; later ones are queued.") var maxParallelRuns = max(4, ProcessInfo.processInfo.activeProcessorCount)
    @Option(help: "Sessions alive at once.") var maxSessions = 256
    @Option(help: "Seconds after which an ended, unused session is freed.") var idleSessionSeconds = 3600.0
    @Option(help: "Largest message accepted, in MiB.") var maxMessageMb = 64
    @Option(help: "Unsent data a connection may have queued before it is closed (1008) as not reading, in MiB.")
    var maxQueuedMb = 32
    @Option(help: "Requests of one connection in progress at once; past it a request is answered LIMIT_EXCEEDED (stop and delete_session aside).")
    var maxRequestsPerConnection = 128
    @Option(help: "Files per run.") var maxFiles = 1000
    @Option(help: "Bytes of files per run, in MiB.") var maxRunMb = 32
    @Option(help: "Output kept per run, in KiB.") var outputCapKb = 1024
    @Option(help: "Rows sent for a table read without a window.") var rowCap = 1000
    @Option(help: "Seconds one placeholder read may take; past it the read answers LIMIT_EXCEEDED (0: no limit).")
    var readSeconds = 60.0
    @Option(help: "MiB of display forms (images, HTML) sent with one value; 0 sends none.") var displayMb = 5
    @Option(help: "MiB of encoded values kept to answer a read of an ended session again without its worker; 0 keeps none.")
    var valueCacheMb = 256
    @Option(help: "Memory a session may use, all of its processes together, in MiB.") var memoryLimitMb: Int?
    @Option(help: "Seconds a stop waits for KeyboardInterrupt before killing.") var stopGrace = 1.0
    @Option(help: "A folder run_model may read data files from, besides the session's own (repeatable).")
    var allowDataDir: [String] = []
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.") var logLevel = "info"
    @OptionGroup(title: "Containment") var containment: ContainmentOptions
    @OptionGroup(title: "Scale-out (Docs/Scale-out.md)") var backendOptions: BackendOptions

    func run() async throws {
        LargeReplyMemory.keepLargeBuffers()
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "RuntimeServer")
        var configuration: ServerConfiguration
        do {
            configuration = try serverConfiguration(environment: ProcessInfo.processInfo.environment, logger: logger)
        } catch {
            throw ValidationError(error.description)
        }
        if backendOptions.backend == "local" { try WorkerExecutables.check(configuration.runtime) }
        configuration.runtime.placement = try backendOptions.placement(
            runtime: configuration.runtime, server: "\(ProcessInfo.processInfo.hostName):\(port)",
            environment: ProcessInfo.processInfo.environment, logger: logger)
        let server = RuntimeServerService(configuration: configuration, logger: logger) { port in
            logger.info("listening", metadata: ["url": "ws://\(host):\(port)/", "demo": "http://\(host):\(port)/"])
        }
        do {
            try await server.runUntilSignalled()
        } catch let error as IOError where error.errnoCode == EADDRINUSE {
            FileHandle.standardError.write(Data("RuntimeServer: cannot listen on \(host):\(port): the address is already in use (another server?); --port picks another\n".utf8))
            throw ExitCode.failure
        }
    }

    func validate() throws {
        guard (1...(1 << 20)).contains(maxQueuedMb) else { throw ValidationError("--max-queued-mb must be from 1 to 1048576") }
        guard (1...(1 << 16)).contains(maxRequestsPerConnection) else {
            throw ValidationError("--max-requests-per-connection must be from 1 to 65536")
        }
    }

    func serverConfiguration(environment: [String: String], logger: Logger) throws(CredentialSources.Failure) -> ServerConfiguration {
        var runtime = RuntimeConfiguration(python: .resolve(explicit: python), warmWorkers: warmWorkers)
        runtime.preloadModules = preload.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        runtime.maximumParallelRuns = maxParallelRuns
        runtime.forkServer = !noForkServer
        runtime.programLimits = ProgramLimits(maximumFiles: maxFiles, maximumBytes: maxRunMb << 20)
        runtime.outputCapBytes = outputCapKb << 10
        runtime.defaultRowCap = rowCap
        runtime.readTimeLimit = readSeconds > 0 ? .milliseconds(Int(readSeconds * 1000)) : nil
        runtime.displayByteLimit = max(0, displayMb) << 20
        runtime.valueCacheBytes = max(0, valueCacheMb) << 20
        runtime.memoryLimitBytes = memoryLimitMb.map { $0 << 20 }
        runtime.stopGracePeriod = .milliseconds(Int(stopGrace * 1000))
        runtime.containment = containment.containment()
        runtime.modelInvoker = PythonModelInvoker(allowedDataFolders: allowDataDir.map { URL(fileURLWithPath: $0) })
        let credentials = CredentialSources(tokenFile: tokenFile, token: token, usersFile: usersFile, environment: environment)
        var configuration = ServerConfiguration(
            host: host, port: port,
            authentication: try credentials.authentication(logger: logger),
            maximumMessageBytes: maxMessageMb << 20, maximumQueuedBytes: maxQueuedMb << 20, maximumSessions: maxSessions,
            idleSessionLifetime: .milliseconds(Int(idleSessionSeconds * 1000)), runtime: runtime)
        configuration.maximumRequestsPerConnection = maxRequestsPerConnection
        return configuration
    }
}

import ArgumentParser
import Foundation
import Logging
import RuntimeCore
import RuntimeRay
import WorkerTLS

/// Where session workers run (see Docs/Scale-out.md).
struct BackendOptions: ParsableArguments {
    @Option(help: "Where session workers run: local (child processes of this server) or ray (jobs on a Ray cluster).")
    var backend = "local"

    @Option(help: "The Ray dashboard's address, for its Jobs API (also $RUNTIME_RAY_ADDRESS).")
    var rayAddress: String?

    @Option(help: ArgumentHelp("Where the server listens for remote workers (never the clients' port; 0 picks a free port).",
                               valueName: "host:port"))
    var workerListen = "127.0.0.1:0"

    @Option(help: ArgumentHelp("The address remote workers connect to, when it is not --worker-listen's (NAT, 0.0.0.0).",
                               valueName: "host:port"))
    var workerAdvertise: String?

    @Option(help: "The runtime-worker executable's path on the Ray nodes (default: this server's own).")
    var workerExecutable: String?

    @Option(help: "The Python the workers embed, as its path on the Ray nodes (default: --python's).")
    var nodePython: String?

    @Option(help: "CPUs a remote worker asks Ray for, unless its run says otherwise.")
    var workerCpus = 1.0

    @Option(help: "Memory in MiB a remote worker asks Ray for, unless its run says otherwise.")
    var workerMemoryMb: Int?

    @Option(help: "Seconds a remote worker may take from its launch to its connection (waiting for a node included).")
    var workerConnectSeconds = 120.0

    @Flag(inversion: .prefixedNo, help: "Sandbox remote workers on their nodes as local ones are.")
    var remoteSandbox = true

    @Option(help: "A PEM certificate for TLS on the worker port (with --worker-tls-key); workers accept this certificate only.")
    var workerTlsCert: String?

    @Option(help: "The PEM private key of --worker-tls-cert.")
    var workerTlsKey: String?

    @Option(help: "The name this server's Ray jobs carry, so that it stops those a crashed run of it left (default: HOST:PORT).")
    var serverName: String?

    func validate() throws {
        guard ["local", "ray"].contains(backend) else { throw ValidationError("--backend takes local or ray") }
        guard Self.split(workerListen) != nil else { throw ValidationError("--worker-listen takes HOST:PORT") }
        if let workerAdvertise, Self.split(workerAdvertise) == nil { throw ValidationError("--worker-advertise takes HOST:PORT") }
        guard (workerTlsCert == nil) == (workerTlsKey == nil) else {
            throw ValidationError("--worker-tls-cert and --worker-tls-key go together")
        }
        guard workerCpus > 0, workerConnectSeconds > 0, (workerMemoryMb ?? 1) > 0 else {
            throw ValidationError("--worker-cpus, --worker-memory-mb and --worker-connect-seconds must be above 0")
        }
    }

    /// The placement these options describe; `server` names this server in
    /// its Ray jobs' metadata.
    func placement(runtime: RuntimeConfiguration, server: String, environment: [String: String],
                   logger: Logger) throws -> WorkerPlacement {
        guard backend == "ray" else { return .local }
        guard let address = rayAddress ?? environment["RUNTIME_RAY_ADDRESS"] else {
            throw ValidationError("--backend ray needs --ray-address http://HOST:8265 (or $RUNTIME_RAY_ADDRESS)")
        }
        let launcher: RayWorkerLauncher
        do {
            launcher = try RayWorkerLauncher(dashboard: address, server: serverName ?? server, logger: logger)
        } catch {
            throw ValidationError("--ray-address: \(error.message)")
        }
        guard let (host, port) = Self.split(workerListen) else { throw ValidationError("--worker-listen takes HOST:PORT") }
        var security: WorkerTLSServer?
        if let workerTlsCert, let workerTlsKey {
            do {
                security = try WorkerTLSServer(certificateFile: workerTlsCert, privateKeyFile: workerTlsKey)
            } catch {
                throw ValidationError("--worker-tls-cert: \(error.message)")
            }
        } else if !["127.0.0.1", "::1", "localhost"].contains(host) {
            logger.warning("remote workers connect without TLS: frames, values and programs cross the network in the clear",
                           metadata: ["listen": "\(workerListen)", "fix": "--worker-tls-cert and --worker-tls-key"])
        }
        return .remote(RemoteWorkers(
            launcher: launcher, listenHost: host, listenPort: port, advertise: workerAdvertise,
            workerExecutable: workerExecutable ?? runtime.worker.executable,
            pythonExecutable: nodePython ?? runtime.python.executable,
            defaultResources: WorkerResources(cpus: workerCpus, memoryMB: workerMemoryMb),
            connectTimeout: .milliseconds(Int(workerConnectSeconds * 1000)), sandbox: remoteSandbox, security: security))
    }

    /// `HOST:PORT` (`[v6]:PORT` too) as its parts.
    static func split(_ address: String) -> (String, Int)? {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]),
              (0...65535).contains(port)
        else { return nil }
        var host = String(address[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return host.isEmpty ? nil : (host, port)
    }
}

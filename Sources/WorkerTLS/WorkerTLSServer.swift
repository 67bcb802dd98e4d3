import Glibc
import NIOCore
import NIOSSL
import WorkerFrames

/// TLS on the runtime's worker port (`--worker-tls-cert`, `--worker-tls-key`):
/// a ``WorkerConnectionSecurity`` for `RemoteWorkers.security`. Workers
/// verify the server by its certificate, which they are given with their
/// ticket: no CA has to be installed on the nodes, and nothing but this
/// server's certificate is accepted.
public struct WorkerTLSServer: WorkerConnectionSecurity {
    private let context: NIOSSLContext
    private let certificatePEM: String

    /// Loads a PEM certificate (the first of the file is the one workers
    /// pin) and its PEM private key.
    public init(certificateFile: String, privateKeyFile: String) throws(RuntimeError) {
        do {
            let chain = try NIOSSLCertificate.fromPEMFile(certificateFile)
            guard let leaf = chain.first else {
                throw RuntimeError(.invalidRequest, "\(certificateFile) holds no certificate")
            }
            let key = try NIOSSLPrivateKey(file: privateKeyFile, format: .pem)
            var configuration = TLSConfiguration.makeServerConfiguration(
                certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
            configuration.minimumTLSVersion = .tlsv12
            context = try NIOSSLContext(configuration: configuration)
            certificatePEM = try WorkerTLS.pem(leaf)
        } catch let error as RuntimeError {
            throw error
        } catch {
            throw RuntimeError(.invalidRequest, "cannot use \(certificateFile) and \(privateKeyFile) for TLS: \(error)", cause: error)
        }
    }

    public var name: String { "TLS" }

    public var workerEnvironment: [String: String] { [WorkerTLS.certificateVariable: certificatePEM] }

    public func secure(acceptedSocket socket: Int32) throws(RuntimeError) -> Int32 {
        let context = self.context
        do {
            return try TLSRelay.start(socket: socket) { NIOSSLServerHandler(context: context) }
        } catch {
            throw RuntimeError(.internalError, error.description)
        }
    }
}

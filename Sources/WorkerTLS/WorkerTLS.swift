import Foundation
import NIOCore
import NIOSSL
import WorkerFrames

/// The worker's side of TLS on its connection, and what both sides share.
public enum WorkerTLS {
    /// The environment variable that gives a remote worker the server's
    /// certificate (PEM): it connects with TLS and accepts that certificate only.
    public static let certificateVariable = "RUNTIME_WORKER_TLS_CERTIFICATE"

    /// Runs TLS as a client on the connected TCP socket `socket` (owned from
    /// now on), accepting only the certificate in `pinnedPEM`, and returns
    /// the plain descriptor to read and write frames on: `plainEnd` when
    /// given (one end of a socket pair of yours, owned from now on), else a
    /// new one.
    @discardableResult
    public static func connect(socket: Int32, pinnedPEM: String, relayingTo plainEnd: Int32? = nil) throws(RuntimeError) -> Int32 {
        let pinned: [UInt8]
        let context: NIOSSLContext
        do {
            guard let certificate = try NIOSSLCertificate.fromPEMBytes(Array(pinnedPEM.utf8)).first else {
                throw RuntimeError(.invalidRequest, "\(certificateVariable) holds no certificate")
            }
            pinned = try certificate.toDERBytes()
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.minimumTLSVersion = .tlsv12
            // The pinned certificate is the whole check (the callback below):
            // no CA chain, and no host name (a worker may reach the server by any address).
            configuration.certificateVerification = .noHostnameVerification
            context = try NIOSSLContext(configuration: configuration)
        } catch let error as RuntimeError {
            throw error
        } catch {
            throw RuntimeError(.invalidRequest, "\(certificateVariable): \(error)", cause: error)
        }
        do {
            // A refused certificate ends the relay: say so where the node's operator looks (the job's log).
            let report: @Sendable (String) -> Void = { FileHandle.standardError.write(Data("runtime-worker: TLS: \($0)\n".utf8)) }
            return try TLSRelay.start(socket: socket, plainEnd: plainEnd, onError: report) {
                // The server's certificate must be the very one given: no CA, no host name.
                try NIOSSLClientHandler(context: context, serverHostname: nil) { presented, verdict in
                    let matches = (try? presented.first?.toDERBytes()) == pinned
                    verdict.succeed(matches ? .certificateVerified : .failed)
                }
            }
        } catch {
            throw RuntimeError(.internalError, error.description)
        }
    }

    static func pem(_ certificate: NIOSSLCertificate) throws -> String {
        let der = try certificate.toDERBytes()
        let base64 = Data(der).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
        return "-----BEGIN CERTIFICATE-----\n\(base64)\n-----END CERTIFICATE-----\n"
    }
}

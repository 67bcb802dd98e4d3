import Foundation
import HTTPTypes
import Hummingbird

/// Checks the shared-secret token on WebSocket upgrades:
/// `Authorization: Bearer TOKEN` or `?token=TOKEN`.
struct UpgradeAuthorizer: Sendable {
    let token: String?

    func allows(_ request: HTTPRequest) -> Bool {
        allows(target: request.path ?? "/", authorization: request.headerFields[.authorization])
    }

    /// - Parameters:
    ///   - target: the request target (path and query).
    ///   - authorization: the `Authorization` header's value, if any.
    func allows(target: String, authorization: String?) -> Bool {
        guard let token else { return true }
        if let header = authorization {
            let prefix = "Bearer "
            if header.hasPrefix(prefix), constantTimeEquals(String(header.dropFirst(prefix.count)), token) { return true }
        }
        if let given = Self.queryValue("token", in: target), constantTimeEquals(given, token) { return true }
        return false
    }

    /// The percent-decoded value of `name` in a request target's query.
    static func queryValue(_ name: String, in target: String) -> String? {
        guard let query = target.split(separator: "?", maxSplits: 1).dropFirst().first else { return nil }
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.first.map(String.init)?.removingPercentEncoding == name else { continue }
            let raw = parts.count > 1 ? String(parts[1]).replacingOccurrences(of: "+", with: " ") : ""
            return raw.removingPercentEncoding ?? raw
        }
        return nil
    }

    private func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

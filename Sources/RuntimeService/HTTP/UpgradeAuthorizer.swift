import Foundation
import HTTPTypes
import Hummingbird

/// Decides who a WebSocket upgrade comes from: the token is sent as
/// `Authorization: Bearer TOKEN` (the scheme in any case) or `?token=TOKEN`.
/// `nil` means refused.
struct UpgradeAuthorizer: Sendable {
    let mode: ServerConfiguration.Authentication

    init(_ mode: ServerConfiguration.Authentication) { self.mode = mode }

    func user(for request: HTTPRequest) -> ServerUser? {
        user(target: request.path ?? "/", authorization: request.headerFields[.authorization])
    }

    /// - Parameters:
    ///   - target: the request target (path and query).
    ///   - authorization: the `Authorization` header's value, if any.
    func user(target: String, authorization: String?) -> ServerUser? {
        if case .open = mode { return .anonymous }
        if let header = authorization, let token = Self.bearerToken(header), let user = user(forToken: token) { return user }
        if let given = Self.queryValue("token", in: target), let user = user(forToken: given) { return user }
        return nil
    }

    private func user(forToken token: some StringProtocol) -> ServerUser? {
        switch mode {
        case .open: return .anonymous
        case .token(let secret): return secret.matches(token) ? .tokenHolder : nil
        case .users(let table): return table.user(forToken: token)
        }
    }

    /// The credentials of a `Bearer` header; the scheme is case-insensitive (RFC 9110 §11.1).
    static func bearerToken(_ header: String) -> Substring? {
        let trimmed = header.drop(while: { $0 == " " || $0 == "\t" })
        guard let space = trimmed.firstIndex(where: { $0 == " " || $0 == "\t" }),
              trimmed[..<space].lowercased() == "bearer"
        else { return nil }
        let token = trimmed[space...].drop(while: { $0 == " " || $0 == "\t" })
        var end = token.endIndex
        while end > token.startIndex, token[token.index(before: end)] == " " || token[token.index(before: end)] == "\t" {
            end = token.index(before: end)
        }
        return token.isEmpty ? nil : token[..<end]
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
}

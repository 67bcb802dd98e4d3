import Foundation
import RuntimeProtocol

/// The parts of a connection's first request head that decide its WebSocket
/// upgrade, read from the raw head (before NIO's upgrader, which refuses a
/// malformed handshake by closing the connection without a word).
struct UpgradeRequestHead {
    /// The request's method and target (path and query).
    var method = ""
    var target = "/"
    /// `Connection` names `upgrade` (without it NIO serves the request as plain HTTP).
    var connectionUpgrade = false
    /// `Upgrade: websocket` was asked for (anything else is plain HTTP and passes on).
    var isWebSocketUpgrade = false
    var authorization: String?
    /// `Sec-WebSocket-Version`, trimmed.
    var version: String?
    /// `Sec-WebSocket-Key`, trimmed.
    var key: String?

    /// The only WebSocket version there is (RFC 6455 §4.1).
    static let supportedVersion = "13"

    /// A refused upgrade: an HTTP status with the contract's error body.
    struct Refusal {
        var status: Int
        var reason: String
        /// Header lines beside the content headers, e.g. `Sec-WebSocket-Version: 13`.
        var headers: [String]
        var error: ProtocolError

        /// The whole HTTP response; the connection is closed after it.
        var response: String {
            let body = String(decoding: WireMessage(error.wireMessage).bytes, as: UTF8.self)
            return "HTTP/1.1 \(status) \(reason)\r\nContent-Type: application/json\r\n"
                + headers.map { $0 + "\r\n" }.joined()
                + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n" + body
        }
    }

    init(head: String) {
        let lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
        if let requestLine = lines.first {
            let parts = requestLine.split(separator: " ")
            method = parts.first.map(String.init) ?? ""
            if parts.count > 1 { target = String(parts[1]) }
        }
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            switch name {
            case "upgrade" where value.lowercased().contains("websocket"): isWebSocketUpgrade = true
            case "authorization": authorization = value
            case "connection": connectionUpgrade = value.lowercased().split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces) == "upgrade" }
            case "sec-websocket-version": version = value
            case "sec-websocket-key": key = value
            default: break
            }
        }
    }

    /// Whether NIO's upgrader takes this head as a WebSocket upgrade (when
    /// ``refusal(authorizer:)`` has none): what the client sends after it is
    /// frames.
    var upgrades: Bool { isWebSocketUpgrade && connectionUpgrade && method == "GET" }

    /// Why this upgrade is refused, or nil to let it through: a handshake
    /// that is not RFC 6455's (426 with the supported version, or 400), then
    /// a missing or wrong token (401).
    func refusal(authorizer: UpgradeAuthorizer) -> Refusal? {
        guard isWebSocketUpgrade else { return nil }
        guard version == Self.supportedVersion else {
            let given = version.map { "Sec-WebSocket-Version \($0) is not supported" } ?? "Sec-WebSocket-Version is missing"
            return Refusal(status: 426, reason: "Upgrade Required", headers: ["Sec-WebSocket-Version: \(Self.supportedVersion)"],
                           error: ProtocolError(.invalidRequest, "\(given); this server speaks WebSocket version \(Self.supportedVersion) (RFC 6455)"))
        }
        guard let key, Data(base64Encoded: key)?.count == 16 else {
            let given = key == nil ? "Sec-WebSocket-Key is missing" : "Sec-WebSocket-Key is not 16 bytes in base64"
            return Refusal(status: 400, reason: "Bad Request", headers: [],
                           error: ProtocolError(.invalidRequest, "\(given) (RFC 6455 §4.1)"))
        }
        guard authorizer.user(target: target, authorization: authorization) != nil else {
            return Refusal(status: 401, reason: "Unauthorized", headers: ["WWW-Authenticate: Bearer"],
                           error: ProtocolError(.unauthorized, "a valid token is required: Authorization: Bearer TOKEN or ?token=TOKEN"))
        }
        return nil
    }
}

import Foundation

/// A minimal HTTP/1.0 GET on loopback, for the polls between samples (the
/// server's `/metrics`, Ray's `/api/jobs/`): one blocking socket, the body
/// read to the end. HTTP/1.0, so no server answers in chunks; no proxy
/// variables, no libcurl.
enum PlainHTTP {
    /// The body of `GET url` (`http://HOST:PORT/path`, HOST a dotted IPv4
    /// address); anything but a 200 throws.
    static func get(_ url: String) throws -> String {
        guard let components = URLComponents(string: url), components.scheme == "http", let host = components.host,
              let port = components.port
        else { throw BenchmarkFailure("not an http://HOST:PORT URL: \(url)") }
        let path = (components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath)
            + (components.percentEncodedQuery.map { "?" + $0 } ?? "")

        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw BenchmarkFailure("socket: errno \(errno)") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { throw BenchmarkFailure("not an IPv4 address: \(host)") }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw BenchmarkFailure("connect to \(host):\(port): errno \(errno)") }

        let request = Array("GET \(path) HTTP/1.0\r\nHost: \(host):\(port)\r\nAccept: */*\r\nConnection: close\r\n\r\n".utf8)
        var sent = 0
        while sent < request.count {
            let written = request[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard written > 0 else { throw BenchmarkFailure("send to \(url): errno \(errno)") }
            sent += written
        }
        // To the end of the body: its Content-Length when the server sends one
        // (Hummingbird keeps an HTTP/1.0 connection open), else the close.
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        let separator = Array("\r\n\r\n".utf8)
        var header: (end: Int, length: Int?)?
        while true {
            if let header, let length = header.length, response.count >= header.end + length { break }
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count == 0 { break }
            guard count > 0 else { throw BenchmarkFailure("recv from \(url): errno \(errno)") }
            response += buffer[..<count]
            if header == nil, let range = response.firstRange(of: separator) {
                header = (range.upperBound, contentLength(String(decoding: response[..<range.lowerBound], as: UTF8.self)))
            }
        }

        guard let header else { throw BenchmarkFailure("\(url): no HTTP header") }
        let head = String(decoding: response[..<(header.end - separator.count)], as: UTF8.self)
        let statusLine = head.split(separator: "\r\n").first ?? ""
        guard statusLine.split(separator: " ").dropFirst().first == "200" else {
            throw BenchmarkFailure("\(url) answered \(statusLine)")
        }
        let body = response[header.end...]
        return String(decoding: header.length.map { body.prefix($0) } ?? body, as: UTF8.self)
    }

    private static func contentLength(_ head: String) -> Int? {
        for line in head.split(separator: "\r\n").dropFirst() {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "content-length" {
                return Int(parts[1].trimmingCharacters(in: .whitespaces))
            }
        }
        return nil
    }
}

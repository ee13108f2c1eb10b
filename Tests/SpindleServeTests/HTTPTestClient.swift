// A deliberately small HTTP/1.1 client over a POSIX socket, so the tests speak real HTTP to the server
// (and can hang up mid-stream) without depending on FoundationNetworking's streaming support.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

struct HTTPReply {
    var status: Int
    var headers: [String: String]   // lower-cased names
    var body: [UInt8]
    var text: String { String(decoding: body, as: UTF8.self) }
    /// The body parsed as a JSON object.
    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:] }
}

struct TestClientError: Error, CustomStringConvertible { var description: String }

/// One TCP connection to 127.0.0.1.
final class TestSocket {
    let fd: Int32

    init(port: Int, timeout: Int = 120) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestClientError(description: "socket failed") }
        var tv = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { close(fd); throw TestClientError(description: "connect to port \(port) failed: errno \(errno)") }
    }

    func send(_ bytes: [UInt8]) throws {
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw TestClientError(description: "send failed: errno \(errno)") }
            off += n
        }
    }

    /// Up to 64 KiB; empty at the end of the stream.
    func receive() throws -> [UInt8] {
        var buf = [UInt8](repeating: 0, count: 1 << 16)
        let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard n >= 0 else { throw TestClientError(description: "recv failed (timeout?): errno \(errno)") }
        return Array(buf.prefix(n))
    }

    func shutdown() { close(fd) }
}

enum HTTPTestClient {
    static func requestBytes(_ method: String, _ path: String, body: String?, headers: [String: String] = [:]) -> [UInt8] {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        for (k, v) in headers.sorted(by: { $0.key < $1.key }) { head += "\(k): \(v)\r\n" }
        if let body { head += "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n" }
        return Array((head + "\r\n" + (body ?? "")).utf8)
    }

    /// Sends one request and reads the whole response (the server closes after it).
    static func request(port: Int, _ method: String, _ path: String, body: String? = nil, headers: [String: String] = [:]) throws -> HTTPReply {
        let s = try TestSocket(port: port)
        defer { s.shutdown() }
        try s.send(requestBytes(method, path, body: body, headers: headers))
        var raw: [UInt8] = []
        while true {
            let chunk = try s.receive()
            if chunk.isEmpty { break }
            raw += chunk
        }
        return try parse(raw)
    }

    static func post(port: Int, _ path: String, _ body: String) throws -> HTTPReply { try request(port: port, "POST", path, body: body) }

    static func parse(_ raw: [UInt8]) throws -> HTTPReply {
        guard let split = raw.indices.first(where: { raw[$0...].starts(with: Array("\r\n\r\n".utf8)) }) else {
            throw TestClientError(description: "no header end in \(raw.count) bytes")
        }
        let lines = String(decoding: raw[..<split], as: UTF8.self).components(separatedBy: "\r\n")
        let status = Int(lines[0].split(separator: " ")[1]) ?? 0
        var headers: [String: String] = [:]
        for l in lines.dropFirst() {
            if let c = l.firstIndex(of: ":") { headers[l[..<c].lowercased()] = l[l.index(after: c)...].trimmingCharacters(in: .whitespaces) }
        }
        var body = Array(raw[(split + 4)...])
        if headers["transfer-encoding"] == "chunked" { body = try dechunk(body) }
        return HTTPReply(status: status, headers: headers, body: body)
    }

    static func dechunk(_ b: [UInt8]) throws -> [UInt8] {
        var out: [UInt8] = [], i = 0
        while i < b.count {
            guard let eol = b[i...].indices.first(where: { b[$0...].starts(with: [13, 10]) }),
                  let size = Int(String(decoding: b[i..<eol], as: UTF8.self), radix: 16) else {
                throw TestClientError(description: "bad chunk header at \(i)")
            }
            if size == 0 { break }
            out += b[(eol + 2)..<(eol + 2 + size)]
            i = eol + 2 + size + 2
        }
        return out
    }

    /// The `data:` payloads of an SSE body, in order (comments skipped).
    static func events(_ body: [UInt8]) -> [String] {
        String(decoding: body, as: UTF8.self).components(separatedBy: "\n\n").compactMap { event in
            event.split(separator: "\n").first { $0.hasPrefix("data: ") }.map { String($0.dropFirst(6)) }
        }
    }
}

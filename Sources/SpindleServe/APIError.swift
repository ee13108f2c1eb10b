// APIError.swift: an HTTP status with OpenAI's error body,
//   {"error": {"message": "...", "type": "invalid_request_error", "param": "temperature", "code": null}}
// Every refusal the server makes is one of these; nothing a client sends can crash the process.
import SpindleIO

/// FlyingFox has a `JSONValue` too: this module means Spindle's everywhere.
public typealias JSONValue = SpindleIO.JSONValue

/// A request the server refuses, with the HTTP status and OpenAI's error fields.
public struct APIError: Error, Sendable, Equatable, CustomStringConvertible {
    public var status: Int
    public var type: String
    public var message: String
    public var param: String?
    public var code: String?

    public init(status: Int, type: String, message: String, param: String? = nil, code: String? = nil) {
        self.status = status; self.type = type; self.message = message; self.param = param; self.code = code
    }

    public var description: String { "\(status) \(type): \(message)" }

    /// 400: the request is malformed or a value is out of range; `param` names the field.
    public static func invalid(_ message: String, param: String? = nil, code: String? = nil) -> APIError {
        APIError(status: 400, type: "invalid_request_error", message: message, param: param, code: code)
    }

    /// 404: no such route, or a model this server does not serve.
    public static func notFound(_ message: String, param: String? = nil, code: String? = nil) -> APIError {
        APIError(status: 404, type: "invalid_request_error", message: message, param: param, code: code)
    }

    /// 405: the route exists with another method.
    public static func methodNotAllowed(_ method: String, path: String) -> APIError {
        APIError(status: 405, type: "invalid_request_error", message: "\(method) is not allowed on \(path)", code: "method_not_allowed")
    }

    /// 429: the queue is full (`--max-queue`); the client should retry later.
    public static func busy(queued: Int) -> APIError {
        APIError(status: 429, type: "rate_limit_error",
                 message: "the server has \(queued) requests waiting (--max-queue); retry later", code: "queue_full")
    }

    /// 503: the server is shutting down.
    public static let stopping = APIError(status: 503, type: "server_error", message: "the server is shutting down", code: "unavailable")

    /// The body: `{"error": {...}}`.
    public var json: JSONValue {
        .object([("error", .object([
            ("message", .string(message)), ("type", .string(type)),
            ("param", param.map(JSONValue.string) ?? .null), ("code", code.map(JSONValue.string) ?? .null),
        ]))])
    }
}

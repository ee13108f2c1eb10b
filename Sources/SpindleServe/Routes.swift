// Routes.swift: the HTTP endpoints. One handler dispatches on method and path, so an unknown route
// or method gets OpenAI's error body (404/405) like every other refusal.
//   GET  /                     the chat page
//   GET  /health               {"status": "ok", "model", "queued", "running", "completed", "cancelled"}
//   GET  /v1/models            the one model served
//   POST /v1/chat/completions  chat (Llama 2 chat template), whole or streamed (SSE)
//   POST /v1/completions       raw text continuation, whole or streamed
//   GET  /report, /report/…    the pipeline report (`--report DIR`) and the run pages it links to
import Foundation
import FlyingFox
import Synchronization
import SpindleIO
import SpindleTrainer

/// The routes over one scheduler.
struct Routes: HTTPHandler {
    let settings: ServeSettings
    let scheduler: Scheduler
    let prompts: PromptBuilder
    let eosID: Int32
    let started: Int
    let counter: RequestCounter
    /// The annotation endpoints (`--annotate`), or nil.
    let annotation: AnnotationRoutes?
    /// The pipeline report (`--report DIR`), or nil.
    let report: ReportRoutes?

    func handleRequest(_ request: HTTPRequest) async throws -> HTTPResponse {
        do { return try await route(request) } catch let e as APIError { return Self.error(e) } catch {
            return Self.error(APIError(status: 500, type: "server_error", message: "\(error)"))
        }
    }

    private func route(_ request: HTTPRequest) async throws -> HTTPResponse {
        let method = request.method.rawValue, path = request.path
        if let report, ReportRoutes.matches(path) { return try report.handle(request) }
        let routes: [String: String] = ["/": "GET", "/health": "GET", "/v1/models": "GET",
                                        "/v1/chat/completions": "POST", "/v1/completions": "POST"]
            .merging(annotation == nil ? [:] : AnnotationRoutes.paths) { a, _ in a }
        guard let allowed = routes[path] else { throw APIError.notFound("no route \(path)", code: "unknown_url") }
        guard method == allowed || (method == "HEAD" && allowed == "GET") else { throw APIError.methodNotAllowed(method, path: path) }
        if let annotation, AnnotationRoutes.paths[path] != nil { return try await annotation.handle(request) }
        switch path {
        case "/":
            return HTTPResponse(statusCode: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: Data(ChatPage.html.utf8))
        case "/health":
            let s = scheduler.status
            return Self.json(.object([("status", .string("ok")), ("model", .string(settings.modelName)),
                                      ("queued", .int(s.queued)), ("running", .int(s.running)),
                                      ("completed", .int(s.completed)), ("cancelled", .int(s.cancelled))]))
        case "/v1/models":
            return Self.json(ResponseSchema.models(settings.modelName, created: started))
        default:
            let body = [UInt8](try await request.bodyData)
            let chat = path == "/v1/chat/completions"
            let req = chat ? try CompletionRequest.chat(body, maxN: settings.maxN) : try CompletionRequest.completion(body, maxN: settings.maxN)
            return try await complete(req, chat: chat)
        }
    }

    /// Checks the request against the model, queues it, and answers whole or as an event stream.
    private func complete(_ req: CompletionRequest, chat: Bool) async throws -> HTTPResponse {
        if let m = req.model, m != settings.modelName {
            throw APIError.notFound("the model '\(m)' does not exist: this server serves '\(settings.modelName)'", param: "model", code: "model_not_found")
        }
        let ids = try prompts.ids(req.input)
        var o = SamplingOptions()
        o.temperature = req.temperature; o.topP = req.topP; o.stopToken = eosID
        o.maxNewTokens = try prompts.answerBudget(promptTokens: ids.count, requested: req.maxTokens)
        let k = counter.next()
        o.seed = req.seed ?? settings.seed &+ k &* 0x9E37_79B9_7F4A_7C15
        let spec = JobSpec(prompt: ids, n: req.n, options: o, stops: req.stop)
        let meta = ResponseMeta(id: (chat ? "chatcmpl-" : "cmpl-") + "spindle-\(started)-\(k)",
                                created: Int(Date().timeIntervalSince1970), model: settings.modelName, chat: chat)
        guard req.stream else {
            guard let result = try await scheduler.run(spec) else { throw APIError.stopping }
            return Self.json(ResponseSchema.completion(meta, result))
        }
        return try stream(spec, meta)
    }

    /// An SSE response: a first chunk per answer (the assistant role for chat), text chunks as tokens
    /// become final, each answer's finish reason, a usage chunk, then `data: [DONE]`.
    private func stream(_ spec: JobSpec, _ meta: ResponseMeta) throws -> HTTPResponse {
        let channel = EventChannel(keepAlive: settings.keepAlive)
        let handle = try scheduler.submit(spec) { event in
            switch event {
            case .text(let row, let text):
                channel.send(SSE.event(ResponseSchema.chunk(meta, row: row, text: text)))
            case .finished(let r):
                for (i, c) in r.choices.enumerated() {
                    channel.send(SSE.event(ResponseSchema.chunk(meta, row: i, text: meta.chat ? nil : "", finish: c.finishReason)))
                }
                channel.send(SSE.event(ResponseSchema.usageChunk(meta, r)))
                channel.send(SSE.done)
                channel.finish()
            case .cancelled:
                channel.finish()
            }
        }
        channel.whenDropped { handle.cancel() }
        if meta.chat {
            for row in 0..<spec.n { channel.send(SSE.event(ResponseSchema.chunk(meta, row: row, text: "", role: true))) }
        }
        return HTTPResponse(statusCode: .ok,
                            headers: [.contentType: "text/event-stream", HTTPHeader("Cache-Control"): "no-cache"],
                            body: channel.body)
    }

    static func json(_ value: JSONValue, status: Int = 200) -> HTTPResponse {
        HTTPResponse(statusCode: HTTPStatusCode(status, phrase: phrase(status)),
                     headers: [.contentType: "application/json"], body: Data(value.serialized))
    }

    static func error(_ e: APIError) -> HTTPResponse { json(e.json, status: e.status) }

    static func phrase(_ status: Int) -> String {
        [200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed", 429: "Too Many Requests",
         500: "Internal Server Error", 503: "Service Unavailable"][status] ?? "Error"
    }
}

/// Numbers requests (ids, and seeds for requests that give none).
final class RequestCounter: Sendable {
    private let value = Atomic<UInt64>(0)
    func next() -> UInt64 { value.add(1, ordering: .relaxed).newValue }
}

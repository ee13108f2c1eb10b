// AnnotationRoutes.swift: Llama 2 §3.2.1's side-by-side protocol over HTTP. An annotator (known by the
// bearer token from `--annotators`) sends a dialogue ending with a user turn; two answers are sampled
// from the model at two temperatures and shown as "left" and "right" in an order the annotator cannot
// learn (with `--annotate-checkpoint`, the second answer comes from another checkpoint); the annotator says which is better, by how much (four degrees), for which aspect, and for
// safety the safety label; the judgement is saved as a preference record and the chosen answer
// continues the dialogue.
//   GET  /annotate                the annotation page (token in the URL fragment, never sent to the server)
//   GET  /annotate/session        {"annotator", "count", "dialogue"}: resumes after a restart
//   POST /annotate/pair           {"messages"} -> {"pair_id", "left", "right"}
//   POST /annotate/judgement      {"pair_id", "better": "left"|"right", "degree", "aspect", "safety"?}
//   GET  /annotate/export         counts per degree, aspect, annotator and safety label
import Foundation
import FlyingFox
import SpindleIO
import SpindleShards
import SpindleTrainer

/// How `--annotate` samples the two answers.
public struct AnnotationSettings: Sendable {
    public var file: String
    public var annotators: Annotators
    /// The two variants: the served checkpoint at the first temperature, and at the second the served
    /// checkpoint or, when `secondCheckpoint` is set, that one (Llama 2 varies temperature and model).
    public var temperatures: (Float, Float) = (0.7, 1.0)
    /// The name recorded for a second checkpoint's variant (its path), or nil for one checkpoint.
    public var secondCheckpoint: String?
    public var topP: Float = 0.9
    public var maxTokens = 256

    public init(file: String, annotators: Annotators) { self.file = file; self.annotators = annotators }
}

/// A pair shown to an annotator and not yet judged.
struct PendingPair: Sendable {
    var annotator: String
    var prompt: [Message]
    var left: (text: String, variant: String)
    var right: (text: String, variant: String)
}

/// The annotation endpoints.
// Why @unchecked Sendable: `pending` is touched only under `lock`; everything else is immutable.
final class AnnotationRoutes: @unchecked Sendable {
    let settings: AnnotationSettings
    let store: AnnotationStore
    /// The decoders of variant A and B (the same one unless a second checkpoint is given).
    let schedulers: (Scheduler, Scheduler)
    let prompts: PromptBuilder
    let eosID: Int32
    let counter: RequestCounter
    private let lock = NSLock()
    private var pending: [String: PendingPair] = [:]

    init(settings: AnnotationSettings, store: AnnotationStore, schedulers: (Scheduler, Scheduler), prompts: PromptBuilder, eosID: Int32, counter: RequestCounter) {
        self.settings = settings; self.store = store; self.schedulers = schedulers; self.prompts = prompts
        self.eosID = eosID; self.counter = counter
    }

    static let paths: [String: String] = ["/annotate": "GET", "/annotate/session": "GET", "/annotate/pair": "POST",
                                          "/annotate/judgement": "POST", "/annotate/export": "GET"]

    func handle(_ request: HTTPRequest) async throws -> HTTPResponse {
        if request.path == "/annotate" {
            return HTTPResponse(statusCode: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: Data(AnnotatePage.html.utf8))
        }
        let who = try annotator(request)
        switch request.path {
        case "/annotate/session":
            let s = store.session(who)
            return Routes.json(.object([("annotator", .string(who)), ("count", .int(s.count)), ("dialogue", s.dialogue.json)]))
        case "/annotate/pair": return try await pair(request, annotator: who)
        case "/annotate/judgement": return try await judgement(request, annotator: who)
        default: return Routes.json(export())
        }
    }

    /// The annotator named by `Authorization: Bearer TOKEN`; 401 otherwise. Tokens are never logged.
    func annotator(_ request: HTTPRequest) throws(APIError) -> String {
        let header = request.headers[HTTPHeader("Authorization")] ?? ""
        guard header.hasPrefix("Bearer "), let name = settings.annotators.name(token: String(header.dropFirst(7))) else {
            throw APIError(status: 401, type: "authentication_error", message: "annotation needs an annotator's token (Authorization: Bearer TOKEN)", code: "invalid_api_key")
        }
        return name
    }

    private func pair(_ request: HTTPRequest, annotator: String) async throws -> HTTPResponse {
        let f = try RequestFields([UInt8](try await request.bodyData), known: ["messages"])
        guard let raw = f.value("messages") else { throw APIError.invalid("'messages' is required", param: "messages") }
        let messages = try CompletionRequest.messages(raw)
        let ids = try prompts.ids(.chat(messages))
        let budget = try prompts.answerBudget(promptTokens: ids.count, requested: nil)
        let k = counter.next()
        var answers: [(text: String, variant: String)] = []
        let variants = [(schedulers.0, settings.temperatures.0, "temperature=\(settings.temperatures.0)"),
                        (schedulers.1, settings.temperatures.1,
                         (settings.secondCheckpoint.map { "checkpoint=\($0) " } ?? "") + "temperature=\(settings.temperatures.1)")]
        for (i, (scheduler, t, name)) in variants.enumerated() {
            var o = SamplingOptions()
            o.temperature = t; o.topP = settings.topP; o.stopToken = eosID
            o.maxNewTokens = min(budget, settings.maxTokens)
            o.seed = k &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(i)
            guard let r = try await scheduler.run(JobSpec(prompt: ids, n: 1, options: o, stops: [])) else { throw APIError.stopping }
            answers.append((r.choices[0].text, name))
        }
        let swap = k % 2 == 1   // which variant shows on the left alternates, so position says nothing
        let p = PendingPair(annotator: annotator, prompt: messages, left: swap ? answers[1] : answers[0], right: swap ? answers[0] : answers[1])
        let id = "pair-\(k)"
        lock.withLock { pending[id] = p }
        return Routes.json(.object([("pair_id", .string(id)), ("left", .string(p.left.text)), ("right", .string(p.right.text))]))
    }

    private func judgement(_ request: HTTPRequest, annotator: String) async throws -> HTTPResponse {
        let f = try RequestFields([UInt8](try await request.bodyData), known: ["pair_id", "better", "degree", "aspect", "safety"])
        let id = try f.string("pair_id") ?? ""
        let found = lock.withLock { pending[id] }
        guard let p = found, p.annotator == annotator else { throw APIError.invalid("no pair '\(id)' is waiting for your judgement", param: "pair_id") }
        guard let better = try f.string("better"), better == "left" || better == "right" else {
            throw APIError.invalid("'better' must be \"left\" or \"right\"", param: "better")
        }
        guard let degree = try f.string("degree").flatMap(PreferencePair.Degree.init(rawValue:)) else {
            throw APIError.invalid("'degree' must be one of \(PreferencePair.Degree.allCases.map(\.rawValue).joined(separator: ", "))", param: "degree")
        }
        guard let aspect = try f.string("aspect").flatMap(PreferencePair.Aspect.init(rawValue:)) else {
            throw APIError.invalid("'aspect' must be helpfulness or safety", param: "aspect")
        }
        let safetyText = try f.string("safety")
        let safety = safetyText.flatMap(PreferencePair.Safety.init(rawValue:))
        if safetyText != nil && safety == nil || aspect == .safety && safety == nil {
            throw APIError.invalid("'safety' must be one of \(PreferencePair.Safety.allCases.map(\.rawValue).joined(separator: ", ")) (required for the safety aspect)", param: "safety")
        }
        let (chosen, rejected) = better == "left" ? (p.left, p.right) : (p.right, p.left)
        let extra: [(String, JSONValue)] = [("annotator", .string(annotator)), ("pair_id", .string(id)),
                                            ("chosen_variant", .string(chosen.variant)), ("rejected_variant", .string(rejected.variant))]
        let count = store.session(annotator).count + 1
        let record = PreferencePair(id: "\(annotator)-\(count)", prompt: p.prompt, chosen: chosen.text, rejected: rejected.text,
                                    degree: degree, aspect: aspect, safety: safety,
                                    extra: extra.map { RawField(key: $0.0, rawValue: $0.1.serialized) })
        let saved = try store.append(record, annotator: annotator)
        lock.withLock { pending[id] = nil }
        return Routes.json(.object([("saved", .bool(true)), ("id", .string(record.id)), ("count", .int(saved)),
                                    ("dialogue", (p.prompt + [Message(.assistant, chosen.text)]).json)]))
    }

    /// Counts per degree, aspect, safety label and annotator.
    func export() -> JSONValue {
        let all = store.all
        func counts(_ key: (PreferencePair) -> String?) -> JSONValue {
            var c: [String: Int] = [:]
            for p in all { if let k = key(p) { c[k, default: 0] += 1 } }
            return .object(c.mapValues { JSONValue.int($0) })
        }
        let who: (PreferencePair) -> String? = { p in p.extra.first { $0.key == "annotator" }.flatMap { try? JSONValue.parse($0.rawValue).stringValue } }
        return .object([("file", .string(store.path)), ("total", .int(all.count)),
                        ("per_degree", counts { $0.degree.rawValue }), ("per_aspect", counts { $0.aspect.rawValue }),
                        ("per_safety", counts { $0.safety?.rawValue }), ("per_annotator", counts(who))])
    }
}

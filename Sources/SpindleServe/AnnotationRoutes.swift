// AnnotationRoutes.swift: Llama 2 §3.2.1's side-by-side protocol over HTTP. An annotator (known by the
// bearer token from `--annotators`) sends a dialogue ending with a user turn; two answers are sampled
// from the model at two temperatures and shown as "left" and "right" in an order the annotator cannot
// learn (with `--annotate-checkpoint`, the second answer comes from another checkpoint); the annotator says which is better, by how much (four degrees), for which aspect, and for
// safety the safety label; the judgement is saved as a preference record and the chosen answer
// continues the dialogue.
//   GET  /annotate                the annotation page (token in the URL fragment, never sent to the server)
//   GET  /annotate/session        {"annotator", "count", "dialogue"}: resumes after a restart
//                                 (+ "waiting": the pair shown and not yet judged, "prompt_file")
//   POST /annotate/pair           {"messages"} -> {"pair_id", "left", "right", "messages"}
//   POST /annotate/next           {} -> the next pair from --annotate-prompts (or {"done": true})
//   POST /annotate/judgement      {"pair_id", "better": "left"|"right", "degree", "aspect", "safety"?}
//   GET  /annotate/export         counts per degree, aspect, annotator and safety label; agreement
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
    /// `--annotate-prompts FILE`: prompts to take pairs from, or nil (annotators type their prompts).
    public var prompts: AnnotationPrompts?
    /// How many annotators see each pair from the prompt file (`--annotate-overlap`).
    public var overlap = 1

    public init(file: String, annotators: Annotators) { self.file = file; self.annotators = annotators }
}

/// The annotation endpoints.
final class AnnotationRoutes: Sendable {
    let settings: AnnotationSettings
    let store: AnnotationStore
    /// The decoders of variant A and B (the same one unless a second checkpoint is given).
    let schedulers: (Scheduler, Scheduler)
    let prompts: PromptBuilder
    let eosID: Int32
    let counter: RequestCounter
    /// Every pair and who it was shown to (FILE.pairs).
    let book: PairBook

    init(settings: AnnotationSettings, store: AnnotationStore, schedulers: (Scheduler, Scheduler), prompts: PromptBuilder, eosID: Int32,
         counter: RequestCounter, warn: (String) -> Void) throws {
        self.settings = settings; self.store = store; self.schedulers = schedulers; self.prompts = prompts
        self.eosID = eosID; self.counter = counter
        book = try PairBook(path: settings.file + ".pairs", prompts: settings.prompts?.dialogues ?? [], overlap: settings.overlap,
                            judgements: store.all, warn: warn)
    }

    static let paths: [String: String] = ["/annotate": "GET", "/annotate/session": "GET", "/annotate/pair": "POST",
                                          "/annotate/next": "POST", "/annotate/judgement": "POST", "/annotate/export": "GET"]

    func handle(_ request: HTTPRequest) async throws -> HTTPResponse {
        if request.path == "/annotate" {
            return HTTPResponse(statusCode: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: Data(AnnotatePage.html.utf8))
        }
        let who = try annotator(request)
        switch request.path {
        case "/annotate/session":
            let s = store.session(who)
            let progress = book.progress
            return Routes.json(.object([("annotator", .string(who)), ("count", .int(s.count)), ("dialogue", s.dialogue.json),
                                        ("waiting", book.waiting(for: who).map(Self.pairJSON) ?? .null),
                                        ("prompt_file", settings.prompts == nil ? .null : .object([("prompts", .int(progress.prompts)),
                                                                                                   ("sampled", .int(progress.sampled))]))]))
        case "/annotate/pair": return try await pair(request, annotator: who)
        case "/annotate/next": return try await next(annotator: who)
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

    static func pairJSON(_ p: SharedPair) -> JSONValue {
        .object([("pair_id", .string(p.id)), ("left", .string(p.left.text)), ("right", .string(p.right.text)), ("messages", p.prompt.json)])
    }

    /// A pair for a dialogue the annotator typed.
    private func pair(_ request: HTTPRequest, annotator: String) async throws -> HTTPResponse {
        let f = try RequestFields([UInt8](try await request.bodyData), known: ["messages"])
        guard let raw = f.value("messages") else { throw APIError.invalid("'messages' is required", param: "messages") }
        let p = try await sample(try CompletionRequest.messages(raw), source: nil)
        try book.add(p, shownTo: annotator)
        return Routes.json(Self.pairJSON(p))
    }

    /// The next pair from the prompt file for this annotator: one waiting for them, one others saw
    /// (up to the overlap), or a new one sampled for the next prompt.
    private func next(annotator: String) async throws -> HTTPResponse {
        guard let file = settings.prompts else { throw APIError.invalid("this server has no prompt file (--annotate-prompts)") }
        let (shown, line) = try book.next(for: annotator)
        if let shown { return Routes.json(Self.pairJSON(shown)) }
        guard let line else { return Routes.json(.object([("done", .bool(true))])) }
        let p = try await sample(file.dialogues[line], source: line)
        try book.add(p, shownTo: annotator)
        return Routes.json(Self.pairJSON(p))
    }

    /// Samples one answer from each variant; which shows on the left alternates, so position says nothing.
    private func sample(_ messages: [Message], source: Int?) async throws -> SharedPair {
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
        let swap = k % 2 == 1
        return SharedPair(id: book.newID(), prompt: messages, left: swap ? answers[1] : answers[0], right: swap ? answers[0] : answers[1],
                          source: source)
    }

    private func judgement(_ request: HTTPRequest, annotator: String) async throws -> HTTPResponse {
        let f = try RequestFields([UInt8](try await request.bodyData), known: ["pair_id", "better", "degree", "aspect", "safety"])
        let id = try f.string("pair_id") ?? ""
        guard let p = book.judgeable(id, by: annotator) else { throw APIError.invalid("no pair '\(id)' is waiting for your judgement", param: "pair_id") }
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
                                            ("chosen_variant", .string(chosen.variant)), ("rejected_variant", .string(rejected.variant)),
                                            ("chosen_side", .string(better))]
        let count = store.session(annotator).count + 1
        let record = PreferencePair(id: "\(annotator)-\(count)", prompt: p.prompt, chosen: chosen.text, rejected: rejected.text,
                                    degree: degree, aspect: aspect, safety: safety,
                                    extra: extra.map { RawField(key: $0.0, rawValue: $0.1.serialized) })
        let saved = try store.append(record, annotator: annotator)
        book.markJudged(id, by: annotator)
        return Routes.json(.object([("saved", .bool(true)), ("id", .string(record.id)), ("count", .int(saved)),
                                    ("dialogue", (p.prompt + [Message(.assistant, chosen.text)]).json)]))
    }

    /// Counts per degree, aspect, safety label and annotator; agreement on pairs several annotators judged.
    func export() -> JSONValue {
        let all = store.all
        func counts(_ key: (PreferencePair) -> String?) -> JSONValue {
            var c: [String: Int] = [:]
            for p in all { if let k = key(p) { c[k, default: 0] += 1 } }
            return .object(c.mapValues { JSONValue.int($0) })
        }
        var ratings: [String: [String: String]] = [:]
        for p in all {
            if let id = p.field("pair_id"), let who = p.field("annotator"), let side = p.field("chosen_side") { ratings[id, default: [:]][who] = side }
        }
        let progress = book.progress
        return .object([("file", .string(store.path)), ("total", .int(all.count)),
                        ("per_degree", counts { $0.degree.rawValue }), ("per_aspect", counts { $0.aspect.rawValue }),
                        ("per_safety", counts { $0.safety?.rawValue }), ("per_annotator", counts { $0.field("annotator") }),
                        ("agreement", Agreement.summary(ratings)),
                        ("prompt_file", settings.prompts == nil ? .null : .object([("prompts", .int(progress.prompts)), ("sampled", .int(progress.sampled)),
                                                                                   ("overlap", .int(settings.overlap))]))])
    }
}

// AnnotationPairs.swift: the pairs of `serve --annotate` — sampled for a prompt an annotator typed, or
// for the next prompt of `--annotate-prompts FILE` — and who each was shown to. Pairs from the prompt
// file go to `--annotate-overlap K` annotators each (the same two answers, on the same sides), in file
// order, so their judgements can be compared. Every pair and every showing is appended to FILE.pairs
// (one JSON line each, write + fsync) before the annotator sees it, so a restart loses no pair that
// was waiting for a judgement: the annotator finds it again.
import Foundation
import SpindleIO

/// One pair of answers to a dialogue, and who it was shown to.
struct SharedPair: Sendable {
    var id: String
    var prompt: [Message]
    var left: (text: String, variant: String)
    var right: (text: String, variant: String)
    /// The prompt file's line (0-based) for a pair from the file; nil for a typed prompt.
    var source: Int?
    /// Annotators it was shown to, in order.
    var shownTo: [String] = []
}

/// The prompts of `--annotate-prompts FILE`: JSONL with `messages` (a dialogue ending with a user turn)
/// or `prompt`/`text` (one user message) per line, or plain text with one prompt a line.
public struct AnnotationPrompts: Sendable {
    public let dialogues: [[Message]]

    public init(path: String) throws {
        let text = String(decoding: try InputFile.readAll(path: path), as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let jsonl = path.hasSuffix(".jsonl") || path.hasSuffix(".json")
            || lines.first { !$0.trimmingCharacters(in: .whitespaces).isEmpty }?.trimmingCharacters(in: .whitespaces).hasPrefix("{") == true
        var out: [[Message]] = []
        for (i, raw) in lines.enumerated() {
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty { continue }
            guard jsonl else { out.append([Message(.user, line)]); continue }
            func bad(_ field: String, _ why: String) -> APIServerError {
                APIServerError("\(path):\(i + 1): \(field): \(why)", exitCode: ExitStatus.dataError)
            }
            guard let v = try? JSONValue.parse(line), v.members != nil else { throw bad("line", "not a JSON object") }
            if let m = v["messages"] {
                let messages: [Message]
                do { messages = try CompletionRequest.messages(m) } catch { throw bad("messages", error.message) }
                guard messages.last?.role == .user else { throw bad("messages", "must end with a user turn") }
                out.append(messages)
            } else if let p = (v["prompt"] ?? v["text"])?.stringValue, !p.isEmpty {
                out.append([Message(.user, p)])
            } else {
                throw bad("prompt", "expected \"messages\" (a dialogue) or \"prompt\" (a non-empty string)")
            }
        }
        guard !out.isEmpty else { throw APIServerError("\(path): no prompts", exitCode: ExitStatus.dataError) }
        dialogues = out
    }
}

/// Every pair so far, the next prompt of the file, and the append-only log behind them.
// Why @unchecked Sendable: everything mutable is touched only under `lock`.
final class PairBook: @unchecked Sendable {
    let path: String
    let overlap: Int
    let prompts: [[Message]]
    private let lock = NSLock()
    private let fd: Int32
    private var pairs: [String: SharedPair] = [:]
    private var order: [String] = []
    /// The next prompt-file line to sample a pair for (lines already taken are being sampled or done).
    private var nextPrompt = 0
    /// Who judged each pair (from the judgement file).
    private var judged: [String: Set<String>] = [:]

    init(path: String, prompts: [[Message]], overlap: Int, judgements: [PreferencePair], warn: (String) -> Void) throws {
        self.path = path; self.prompts = prompts; self.overlap = overlap
        let existing = FileManager.default.contents(atPath: path).map { [UInt8]($0) } ?? []
        let good = existing.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0
        if good < existing.count { warn("\(path): the last line is incomplete (an interrupted write): \(existing.count - good) bytes dropped") }
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw APIServerError("\(path): cannot open for appending (errno \(errno))", exitCode: ExitStatus.ioError) }
        if good < existing.count { _ = ftruncate(fd, off_t(good)) }
        for (i, line) in existing[..<good].split(separator: UInt8(ascii: "\n")).enumerated() {
            do { try replay(JSONValue.parse(Array(line))) } catch {
                throw APIServerError("\(path):\(i + 1): line: \(error)", exitCode: ExitStatus.dataError)
            }
        }
        for j in judgements {
            if let id = j.field("pair_id"), let who = j.field("annotator") { judged[id, default: []].insert(who) }
        }
    }

    deinit { close(fd) }

    private func replay(_ v: JSONValue) throws {
        if let id = v["show"]?.stringValue, let who = v["annotator"]?.stringValue {
            guard pairs[id] != nil else { throw APIServerError("shows the unknown pair \(id)") }
            pairs[id]!.shownTo.append(who)
            return
        }
        guard let id = v["pair_id"]?.stringValue, let raw = v["prompt"], let l = v["left"]?.stringValue, let r = v["right"]?.stringValue,
              let lv = v["left_variant"]?.stringValue, let rv = v["right_variant"]?.stringValue else {
            throw APIServerError("expected a pair (pair_id, prompt, left, right, left_variant, right_variant) or a showing (show, annotator)")
        }
        let prompt = try CompletionRequest.messages(raw)
        let source = v["source"]?.intValue
        pairs[id] = SharedPair(id: id, prompt: prompt, left: (l, lv), right: (r, rv), source: source)
        order.append(id)
        if let source { nextPrompt = max(nextPrompt, source + 1) }
    }

    private func append(_ v: JSONValue) throws(APIError) {
        let bytes = v.serialized + [UInt8(ascii: "\n")]
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(fd) == 0 else {
            throw APIError(status: 500, type: "server_error", message: "the pair could not be saved (errno \(errno))")
        }
    }

    /// A new id (unique across restarts: the log's pairs are counted).
    func newID() -> String { lock.withLock { "pair-\(order.count + 1)-\(UUID().uuidString.prefix(8).lowercased())" } }

    /// Records a sampled pair and that it is shown to `annotator`.
    func add(_ p: SharedPair, shownTo annotator: String) throws(APIError) {
        lock.lock(); defer { lock.unlock() }
        try append(.object([("pair_id", .string(p.id)), ("prompt", p.prompt.json), ("left", .string(p.left.text)),
                            ("left_variant", .string(p.left.variant)), ("right", .string(p.right.text)),
                            ("right_variant", .string(p.right.variant)), ("source", p.source.map { .int($0) } ?? .null)]))
        try append(.object([("show", .string(p.id)), ("annotator", .string(annotator))]))
        var q = p
        q.shownTo = [annotator]
        pairs[p.id] = q
        order.append(p.id)
    }

    /// The pair `annotator` was shown and has not judged yet (the latest), if any.
    func waiting(for annotator: String) -> SharedPair? {
        lock.withLock {
            order.reversed().lazy.compactMap { self.pairs[$0] }
                .first { $0.shownTo.contains(annotator) && !(self.judged[$0.id]?.contains(annotator) ?? false) }
        }
    }

    /// What `annotator` should judge next from the prompt file: a pair waiting for them, else an existing
    /// pair shown to fewer than `overlap` others, else the next prompt line to sample (reserved), else nil.
    func next(for annotator: String) throws(APIError) -> (pair: SharedPair?, sample: Int?) {
        lock.lock(); defer { lock.unlock() }
        for id in order {
            let p = pairs[id]!
            guard p.source != nil else { continue }
            if p.shownTo.contains(annotator) {
                if !(judged[id]?.contains(annotator) ?? false) { return (p, nil) }
                continue
            }
            if p.shownTo.count < overlap {
                try append(.object([("show", .string(id)), ("annotator", .string(annotator))]))
                pairs[id]!.shownTo.append(annotator)
                return (pairs[id]!, nil)
            }
        }
        guard nextPrompt < prompts.count else { return (nil, nil) }
        nextPrompt += 1
        return (nil, nextPrompt - 1)
    }

    /// The pair, when it was shown to `annotator` and they have not judged it.
    func judgeable(_ id: String, by annotator: String) -> SharedPair? {
        lock.withLock {
            guard let p = pairs[id], p.shownTo.contains(annotator), !(judged[id]?.contains(annotator) ?? false) else { return nil }
            return p
        }
    }

    func markJudged(_ id: String, by annotator: String) { lock.withLock { _ = judged[id, default: []].insert(annotator) } }

    /// Pairs from the prompt file and how far the file has been taken.
    var progress: (prompts: Int, sampled: Int, pairs: Int) {
        lock.withLock { (prompts.count, nextPrompt, order.count) }
    }
}

extension PreferencePair {
    /// A string extra field (annotator, pair_id, chosen_side).
    func field(_ key: String) -> String? {
        extra.first { $0.key == key }.flatMap { try? JSONValue.parse($0.rawValue).stringValue }
    }
}

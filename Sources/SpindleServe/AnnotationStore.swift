// AnnotationStore.swift: the judgements of `spindle serve --annotate FILE`, one preference record per
// line in Spindle's schema (schemas/preference.schema.json; `spindle pack preference` reads the file as
// it is). Each judgement is appended with one write(2) to a file opened O_APPEND and then fsync'd before
// the annotator is told it was saved, so a crash loses at most a judgement not yet acknowledged. On
// start the file is read back: each annotator's count and last dialogue come from it (a restart
// resumes every session), and a torn last line from a crash is cut off with a warning.
import Foundation
import SpindleIO

/// Who may annotate: `NAME TOKEN` per line of `--annotators FILE` (`#` starts a comment).
public struct Annotators: Sendable {
    let byToken: [String: String]

    public init(path: String) throws {
        let text = String(decoding: try InputFile.readAll(path: path), as: UTF8.self)
        var map: [String: String] = [:]
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            if words.isEmpty { continue }
            func bad(_ field: String, _ why: String) -> APIServerError {
                APIServerError("\(path):\(i + 1): field '\(field)': \(why)", exitCode: ExitStatus.dataError)
            }
            guard words.count == 2 else { throw bad("line", "expected NAME TOKEN") }
            let name = String(words[0]), token = String(words[1])
            guard name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }) else {
                throw bad("name", "use letters, digits, '_' and '-'")
            }
            guard token.count >= 12 else { throw bad("token", "shorter than 12 characters") }
            guard map[token] == nil else { throw bad("token", "given to two annotators") }
            guard !map.values.contains(name) else { throw bad("name", "listed twice") }
            map[token] = name
        }
        guard !map.isEmpty else { throw APIServerError("\(path): no annotators (NAME TOKEN per line)", exitCode: ExitStatus.dataError) }
        byToken = map
    }

    /// The annotator whose token this is (compared without an early exit).
    func name(token: String) -> String? {
        var found: String? = nil
        for (t, n) in byToken where t.utf8.count == token.utf8.count && zip(t.utf8, token.utf8).reduce(0, { $0 | ($1.0 ^ $1.1) }) == 0 {
            found = n
        }
        return found
    }
}

/// The append-only judgement file and what it says about each annotator.
// Why @unchecked Sendable: `counts`, `last` and the file are touched only under `lock`.
public final class AnnotationStore: @unchecked Sendable {
    public let path: String
    private let lock = NSLock()
    private let fd: Int32
    private var counts: [String: Int] = [:]
    private var last: [String: [Message]] = [:]
    private var records: [PreferencePair] = []

    /// Opens (creating) `path` and reads back what it holds. `warn` hears about a torn last line.
    public init(path: String, warn: (String) -> Void) throws {
        self.path = path
        let existing = FileManager.default.contents(atPath: path).map { [UInt8]($0) } ?? []
        var good = existing.count
        if let lastNewline = existing.lastIndex(of: UInt8(ascii: "\n")), lastNewline + 1 < existing.count {
            good = lastNewline + 1
        } else if !existing.isEmpty && existing.last != UInt8(ascii: "\n") {
            good = 0
        }
        if good < existing.count { warn("\(path): the last line is incomplete (an interrupted write): \(existing.count - good) bytes dropped") }
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw APIServerError("\(path): cannot open for appending (errno \(errno))", exitCode: ExitStatus.ioError) }
        if good < existing.count { _ = ftruncate(fd, off_t(good)) }
        var lineNo = 0
        for line in existing[..<good].split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).dropLast() {
            lineNo += 1
            do { note(try PreferencePair(json: JSONLine(Array(line)))) } catch {
                throw APIServerError("\(path):\(lineNo): field '\(error.field ?? "line")': \(error.message)", exitCode: ExitStatus.dataError)
            }
        }
    }

    deinit { close(fd) }

    private func note(_ p: PreferencePair) {
        let who = p.extra.first { $0.key == "annotator" }.flatMap { try? JSONValue.parse($0.rawValue).stringValue } ?? ""
        counts[who, default: 0] += 1
        last[who] = p.prompt + [Message(.assistant, p.chosen)]
        records.append(p)
    }

    /// The annotator's judgement count and the dialogue their last judgement continued.
    public func session(_ annotator: String) -> (count: Int, dialogue: [Message]) {
        lock.lock(); defer { lock.unlock() }
        return (counts[annotator] ?? 0, last[annotator] ?? [])
    }

    /// Appends one record (write, fsync) and returns the annotator's new count.
    public func append(_ pair: PreferencePair, annotator: String) throws(APIError) -> Int {
        lock.lock(); defer { lock.unlock() }
        let bytes = pair.jsonLine()
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(fd) == 0 else {
            throw APIError(status: 500, type: "server_error", message: "the judgement could not be saved (errno \(errno))")
        }
        note(pair)
        return counts[annotator] ?? 0
    }

    /// Every record so far, in file order.
    public var all: [PreferencePair] { lock.lock(); defer { lock.unlock() }; return records }
}

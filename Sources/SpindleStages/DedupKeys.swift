// Exact and CCNet line/paragraph dedup in three phases, for a shuffle by hash key (spindle-ray: Ray
// moves the key lines to partitions by key):
//   keys (map):       exact: one line per document          KEY(32 hex) \t PATH \t LINE \t LENGTH \t SCORE \t ID
//                     lines/paragraphs: one line per distinct unit of a document   KEY(16 hex) \t PATH \t LINE
//   repeats (reduce): key lines sorted by KEY; each key's documents in (PATH, LINE) order, the order the
//                     one-machine run reads them in:
//                     exact: the copy the one-shot run keeps (`chooseKeepers`: the first, or the first
//                       longest / highest FIELD), every other copy a removal line as `clusters` writes it
//                     units: every document after the first that holds the unit: PATH \t LINE \t KEY
//   apply (filter):   exact: `dedup apply --removals`; units: `dedup apply --lines|--paragraphs`, which drops
//                     the listed units of each document and rebuilds it as the one-shot run does.
// A unit is dropped on one machine when an earlier document held it (UnitDeduplicator), so "removed"
// is a function of the set of documents holding each key and their order: any partition of the keys
// gives the same removals. PATH and ID are JSON strings; SCORE is the --keep FIELD value or -inf.

import SpindleIO

/// What a lines/paragraphs-mode document becomes once its removed units are known (one rule for the
/// one-shot run and the apply phase).
public enum UnitRebuild {
    public enum Verdict: Equatable { case unchanged, dropped(remaining: Double), rewritten([UInt8]) }

    /// `outcome` is the document's kept units; `rebuilt` is scratch.
    public static func verdict(_ json: JSONLine, text: [UInt8], outcome o: UnitDeduplicator.Outcome, separator: [UInt8],
                               minRemaining: Double, field: String, rebuilt: inout [UInt8]) -> Verdict {
        if o.removedUnits == 0 { return .unchanged }
        rebuilt.removeAll(keepingCapacity: true)
        for (k, r) in o.kept.enumerated() {
            if k > 0 { rebuilt.append(contentsOf: separator) }
            rebuilt.append(contentsOf: text[r])
        }
        let remaining = text.isEmpty ? 0 : Double(rebuilt.count) / Double(text.count)
        let hasContent = rebuilt.contains { $0 > 0x20 }
        if !hasContent || remaining < minRemaining { return .dropped(remaining: remaining) }
        return .rewritten(rebuilt.withUnsafeBufferPointer { StageText.settingString(json, field: field, text: $0) })
    }
}

/// The map phase of exact and line/paragraph dedup (`spindle dedup keys`).
public struct DedupKeyMap {
    public var options: DedupOptions
    public init(options: DedupOptions) { self.options = options }

    /// Writes the key lines of every record of `inputs` (stdin when empty); returns the summary line.
    public func run(inputs: [String], output: OutputFile, policy: ErrorPolicy, rejectsPath: String?) throws -> String {
        let o = options
        let records = try StageInput(paths: inputs, policy: policy, rejectsPath: rejectsPath)
        var exact = ExactDeduplicator(normalize: o.normalize)
        var units = UnitDeduplicator(unit: o.mode == .paragraphs ? .paragraph : .line)
        let fieldName: String? = { if case .field(let f) = o.keep { return f }; return nil }()
        var text: [UInt8] = [], line: [UInt8] = []
        var keys = 0
        try records.forEach { path, number, json in
            try StageText.text(of: json, field: o.textField, into: &text)
            line.removeAll(keepingCapacity: true)
            if o.mode == .exact {
                let d = text.withUnsafeBufferPointer { exact.digest($0) }
                let score = fieldName.flatMap { StageText.number(of: json, field: $0) } ?? -.infinity
                line.append(contentsOf: d.description.utf8)
                line.append(0x09)
                JSONString.append(path, to: &line)
                line.append(contentsOf: "\t\(number)\t\(text.count)\t\(score.isFinite ? String(score) : "-inf")\t".utf8)
                JSONString.append(StageText.id(of: json, fallback: "\(path):\(number)"), to: &line)
                line.append(0x0A)
                keys += 1
            } else {
                var location: [UInt8] = [0x09]
                JSONString.append(path, to: &location)
                location.append(contentsOf: "\t\(number)\n".utf8)
                for k in text.withUnsafeBufferPointer({ units.keys($0) }) {
                    line.append(contentsOf: hex64(k).utf8)
                    line.append(contentsOf: location)
                    keys += 1
                }
            }
            try output.write(line)
        }
        try records.finish(command: "dedup keys")
        return "dedup keys (\(o.mode.rawValue)): \(records.records) documents, \(keys) key lines"
    }
}

/// The reduce phase (`spindle dedup repeats`): key lines sorted by key in, removals out.
public struct DedupKeyReducer {
    public let keep: KeepRule
    public private(set) var lines = 0
    public private(set) var removals = 0
    var documentKeys: Bool? = nil

    public init(keep: KeepRule = .first) { self.keep = keep }

    struct Entry { var loc: DocLocation; var id = ""; var length = 0; var score = -Double.infinity }

    static func parse(_ b: UnsafeBufferPointer<UInt8>, file: String, line: Int) throws -> (key: Substring, document: Bool, Entry) {
        let f = String(decoding: b, as: UTF8.self).split(separator: "\t", omittingEmptySubsequences: false)
        func bad(_ why: String) -> InputError { InputError(.format, file: file, line: line, "key line: \(why)") }
        guard f.count == 6 || f.count == 3 else { throw bad("expected 6 (exact) or 3 (units) tab-separated fields, found \(f.count)") }
        let document = f.count == 6
        guard f[0].count == (document ? 32 : 16), f[0].allSatisfy(\.isHexDigit) else { throw bad("bad key") }
        guard case .string(let path)? = try? JSONValue.parse(String(f[1])), let n = Int(f[2]) else { throw bad("malformed PATH or LINE") }
        var e = Entry(loc: DocLocation(path: path, line: n))
        if document {
            guard let len = Int(f[3]), let score = Double(f[4]), case .string(let id)? = try? JSONValue.parse(String(f[5])) else {
                throw bad("malformed LENGTH, SCORE or ID")
            }
            e.length = len; e.score = score; e.id = id
        }
        return (f[0], document, e)
    }

    /// Reads the sorted key files of `inputs` (stdin when empty) and writes the removals; returns the summary.
    public mutating func run(inputs: [String], output: OutputFile) throws -> String {
        for path in (inputs.isEmpty ? ["-"] : inputs) {
            let reader = try LineReader(path: path == "-" ? nil : path)
            var group: [Entry] = []
            var groupKey = Substring()
            while let l = try reader.next() {
                if l.bytes.isEmpty { continue }
                lines += 1
                let (key, document, e) = try Self.parse(l.bytes, file: reader.name, line: l.number)
                if let d = documentKeys, d != document {
                    throw InputError(.format, file: reader.name, line: l.number, "key line: document and unit keys mixed")
                }
                documentKeys = document
                if !group.isEmpty && key != groupKey {
                    if key < groupKey {
                        throw InputError(.format, file: reader.name, line: l.number, "key lines are not sorted by key (run them through sort)")
                    }
                    try emit(group, key: groupKey, to: output)
                    group.removeAll(keepingCapacity: true)
                }
                groupKey = key
                group.append(e)
            }
            try emit(group, key: groupKey, to: output)
        }
        return "dedup repeats: \(lines) key lines, \(removals) \(documentKeys == false ? "unit" : "document") removals"
    }

    /// One key's entries: all but the kept one are removals.
    mutating func emit(_ group: [Entry], key: Substring, to out: OutputFile) throws {
        guard group.count > 1 else { return }
        var g = group.sorted { $0.loc < $1.loc }
        // A document listed twice (the same input named twice) is one document.
        var w = 1
        for r in 1..<g.count where g[r].loc != g[w - 1].loc { g[w] = g[r]; w += 1 }
        g.removeLast(g.count - w)
        if documentKeys == false {
            for e in g.dropFirst() {
                var line: [UInt8] = []
                JSONString.append(e.loc.path, to: &line)
                line.append(contentsOf: "\t\(e.loc.line)\t\(key)\n".utf8)
                try out.write(line)
                removals += 1
            }
            return
        }
        var uf = UnionFind(count: g.count)
        for k in 1..<g.count { uf.union(0, k) }
        let chosen = chooseKeepers(&uf, keep: keep, length: g.map(\.length), score: g.map(\.score), edgeSimilarity: [:])
        try DedupClusterReducer.write(chosen.map { r in
            LocatedRemoval(location: g[r.doc].loc, id: g[r.doc].id, kept: g[r.keptDoc].loc, keptID: g[r.keptDoc].id,
                           similarity: r.similarity, exact: true)
        }, to: out)
        removals += chosen.count
    }

    /// Reads a unit removal list (PATH \t LINE \t KEY) into the keys to drop per document.
    public static func readUnitRemovals(_ path: String) throws -> [DocLocation: Set<UInt64>] {
        let reader = try LineReader(path: path == "-" ? nil : path)
        var out: [DocLocation: Set<UInt64>] = [:]
        while let l = try reader.next() {
            if l.bytes.isEmpty { continue }
            let f = String(decoding: l.bytes, as: UTF8.self).split(separator: "\t", omittingEmptySubsequences: false)
            guard f.count == 3, case .string(let p)? = try? JSONValue.parse(String(f[0])), let n = Int(f[1]),
                  f[2].count == 16, let k = UInt64(f[2], radix: 16) else {
                throw InputError(.format, file: reader.name, line: l.number, "unit removal line: expected PATH<TAB>LINE<TAB>KEY")
            }
            out[DocLocation(path: DocLocation.canonical(p), line: n), default: []].insert(k)
        }
        return out
    }
}

/// The apply phase of line/paragraph dedup: each document of `inputs` without its listed units, rebuilt
/// (or dropped below `minRemaining`) exactly as the one-shot run does.
public func dedupApplyUnits(removals: [DocLocation: Set<UInt64>], unit: UnitDeduplicator.Unit, minRemaining: Double,
                            textField: String, inputs: [String], output: OutputFile,
                            policy: ErrorPolicy = .fail) throws -> (kept: Int, removed: Int, units: Int) {
    let records = try StageInput(paths: inputs, policy: policy)
    var dedup = UnitDeduplicator(unit: unit)
    var text: [UInt8] = [], rebuilt: [UInt8] = []
    var kept = 0, removed = 0, unitsRemoved = 0, matched = 0
    var canonical: [String: String] = [:]
    try records.forEach { path, line, json in
        let c = canonical[path] ?? { let c = DocLocation.canonical(path); canonical[path] = c; return c }()
        guard let drop = removals[DocLocation(path: c, line: line)] else {
            try StageText.requireString(json, field: textField)
            try output.write(json.bytes); try output.writeByte(0x0A)
            kept += 1
            return
        }
        matched += 1
        try StageText.text(of: json, field: textField, into: &text)
        let o = text.withUnsafeBufferPointer { dedup.outcome($0, removing: drop) }
        unitsRemoved += o.removedUnits
        switch UnitRebuild.verdict(json, text: text, outcome: o, separator: dedup.separator, minRemaining: minRemaining,
                                   field: textField, rebuilt: &rebuilt) {
        case .unchanged: try output.write(json.bytes); try output.writeByte(0x0A); kept += 1
        case .dropped: removed += 1
        case .rewritten(let bytes): try output.write(bytes); kept += 1
        }
    }
    try records.finish(command: "dedup apply")
    if matched == 0, let example = removals.keys.first {
        throw InputError(.invalidValue, file: example.path, field: "removals",
                         "the removal list names \(removals.count) records, none of them in these inputs (\(inputs.joined(separator: ", ")))")
    }
    return (kept, removed, unitsRemoved)
}

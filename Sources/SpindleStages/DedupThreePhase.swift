// The three-phase near-duplicate mode for data beyond one machine (and the one-shot command's spill path):
//   signatures (map):  one line per document and band:  KEY \t PATH \t LINE \t LENGTH \t SCORE \t ID \t SIGNATURE
//   any sort groups equal KEYs (GNU sort here, Spark or Hadoop streaming at scale)
//   clusters (reduce): buckets -> candidate pairs decided by their estimate (each bucket carries its
//                      members' signatures); pairs in the ambiguous band (DedupVerify.swift) are verified
//                      exactly after reading their documents again from the PATHs the lines name -> the
//                      kept set (greedy or first-seen) -> removal list
//                      PATH \t LINE \t ID \t KEPT_ID \t SIMILARITY \t VERIFIED (exact | estimate)
//   apply (filter):    drop the listed (PATH, LINE) records.
// PATH and ID are JSON strings (so tabs and newlines inside them are escaped); KEY is 16 hex digits;
// SIGNATURE is base64 of the little-endian 32-bit MinHash values; SCORE is the --keep FIELD value or -inf.

import SpindleIO
#if canImport(Glibc)
import Glibc
#endif

/// Writes signature lines (the map phase's output).
public final class DedupSignatureWriter {
    let out: OutputFile
    let lsh: LSHParameters
    var keys: [UInt64] = []
    var line: [UInt8] = []

    public init(path: String?, lsh: LSHParameters) throws {
        out = try OutputFile(path: path)
        self.lsh = lsh
    }

    public init(output: OutputFile, lsh: LSHParameters) {
        out = output
        self.lsh = lsh
    }

    public func write(path: String, line number: Int, id: String, length: Int, score: Double,
                      signature: UnsafeBufferPointer<UInt32>) throws {
        lsh.bandKeys(signature, into: &keys)
        var tail: [UInt8] = [0x09]
        JSONString.append(path, to: &tail)
        tail.append(contentsOf: "\t\(number)\t\(length)\t\(score.isFinite ? String(score) : "-inf")\t".utf8)
        JSONString.append(id, to: &tail)
        tail.append(0x09)
        Base64.encode(UnsafeRawBufferPointer(signature), into: &tail)
        tail.append(0x0A)
        for k in keys {
            line.removeAll(keepingCapacity: true)
            line.append(contentsOf: hex64(k).utf8)
            line.append(contentsOf: tail)
            try out.write(line)
        }
    }

    public func close() throws { try out.commit() }
}

/// A document's location: its input path and 1-based line.
public struct DocLocation: Hashable, Comparable, Sendable {
    public var path: String
    public var line: Int
    public init(path: String, line: Int) { self.path = path; self.line = line }
    public static func < (a: DocLocation, b: DocLocation) -> Bool { (a.path, a.line) < (b.path, b.line) }

    /// One spelling per file, so a removal list written for `in/x` applies to `./in/x` or an absolute
    /// path: the real path when the file exists here, else the path with `.`, empty and `..` segments folded.
    public static func canonical(_ path: String) -> String {
        if let r = realpath(path, nil) {
            defer { free(r) }
            return String(cString: r)
        }
        var parts: [Substring] = []
        for seg in path.split(separator: "/", omittingEmptySubsequences: true) {
            if seg == "." { continue }
            if seg == "..", let last = parts.last, last != ".." { parts.removeLast(); continue }
            parts.append(seg)
        }
        return (path.hasPrefix("/") ? "/" : "") + parts.joined(separator: "/")
    }
}

/// One removal found by the reduce phase.
public struct LocatedRemoval: Sendable, Equatable {
    public var location: DocLocation
    public var id: String
    public var kept: DocLocation
    public var keptID: String
    public var similarity: Double
    public var exact = false
    public var path: String { location.path }
    public var line: Int { location.line }
    public var keptPath: String { kept.path }
    public var keptLine: Int { kept.line }
}

/// The reduce phase: consumes sorted signature lines, bucket by bucket. Each bucket holds its members'
/// signatures, so every candidate pair is verified there; only the verified edges (and each document's
/// location, id, length and score) are kept until the end, when the kept set is chosen on the graph.
public struct DedupClusterReducer {
    public let threshold: Double
    public let keep: KeepRule
    public let maxComparisons: Int
    public var select: SelectMode = .greedy
    public var estimateMargin = NearDupIndex.defaultEstimateMargin
    public var verify: VerifyMode = .hybrid
    public var sigmas = PairVerifier.defaultSigmas
    /// Exact verification re-reads documents: their shingle size and text field (as given to `signatures`).
    public var ngram = 5
    public var textField = "text"
    /// Files to read for a signature PATH that is not itself readable (a spooled stdin, named "-").
    public var sources: [String: String] = [:]
    /// Candidate pairs (node indices) the estimate left to exact verification.
    var ambiguous = ExactPairs()
    public internal(set) var exactPairs = 0
    public internal(set) var exactDocuments = 0
    struct Node { var id: String; var length: Int; var score: Double }
    var index: [DocLocation: Int] = [:]
    var locations: [DocLocation] = []
    var nodes: [Node] = []
    var edgeList: [VerifiedEdge] = []
    public private(set) var comparisons = 0
    public internal(set) var lines = 0
    /// Distinct verified edges (known after `removals()`).
    public internal(set) var edges = 0
    var compactedAt = 0

    public init(threshold: Double, keep: KeepRule, maxComparisons: Int = 64, select: SelectMode = .greedy) {
        self.threshold = threshold; self.keep = keep; self.maxComparisons = maxComparisons; self.select = select
    }

    struct Member { var loc: DocLocation; var node: Node; var sig: [UInt32] }

    static func parse(_ b: UnsafeBufferPointer<UInt8>, file: String, line: Int) throws -> (key: UInt64, Member) {
        var fields: [Range<Int>] = []
        var s = 0
        for i in 0..<b.count where b[i] == 0x09 { fields.append(s..<i); s = i + 1 }
        fields.append(s..<b.count)
        func str(_ k: Int) -> String { String(decoding: UnsafeBufferPointer(rebasing: b[fields[k]]), as: UTF8.self) }
        func bad(_ why: String) -> InputError { InputError(.format, file: file, line: line, "signature line: \(why)") }
        guard fields.count == 7 else { throw bad("expected 7 tab-separated fields, found \(fields.count)") }
        guard let key = UInt64(str(0), radix: 16) else { throw bad("bad band key") }
        guard case .string(let path)? = try? JSONValue.parse(str(1)), let ln = Int(str(2)), let len = Int(str(3)),
              let score = Double(str(4)), case .string(let id)? = try? JSONValue.parse(str(5)),
              let data = Base64.decode(UnsafeBufferPointer(rebasing: b[fields[6]])), data.count % 4 == 0 else { throw bad("malformed field") }
        var sig = [UInt32](repeating: 0, count: data.count / 4)
        for k in 0..<sig.count {
            let b0 = UInt32(data[4 * k]), b1 = UInt32(data[4 * k + 1]), b2 = UInt32(data[4 * k + 2]), b3 = UInt32(data[4 * k + 3])
            sig[k] = b0 | (b1 << 8) | (b2 << 16) | (b3 << 24)
        }
        return (key, Member(loc: DocLocation(path: path, line: ln), node: Node(id: id, length: len, score: score), sig: sig))
    }

    /// Reads one sorted signature file (or stdin for "-").
    public mutating func consume(path: String) throws {
        let reader = try LineReader(path: path == "-" ? nil : path)
        var group: [Member] = []
        var groupKey: UInt64 = 0
        while let l = try reader.next() {
            if l.bytes.isEmpty { continue }
            lines += 1
            let (key, m) = try Self.parse(l.bytes, file: reader.name, line: l.number)
            if !group.isEmpty && key != groupKey {
                if key < groupKey {
                    throw InputError(.format, file: reader.name, line: l.number, "signature lines are not sorted by band key (run them through sort)")
                }
                bucket(group)
                group.removeAll(keepingCapacity: true)
            }
            groupKey = key
            group.append(m)
        }
        bucket(group)
    }

    mutating func bucket(_ g: [Member]) {
        guard g.count > 1 else { return }
        let members = g.sorted { $0.loc < $1.loc }
        var at: [Int] = []
        for m in members {
            if let k = index[m.loc] { at.append(k); continue }
            index[m.loc] = nodes.count
            at.append(nodes.count)
            locations.append(m.loc); nodes.append(m.node)
        }
        let rule = PairVerifier(mode: verify, threshold: threshold, numPerm: members[0].sig.count, margin: estimateMargin, sigmas: sigmas)
        var cmp = 0
        bucketCandidates(Array(0..<members.count), maxComparisons: maxComparisons) { a, b in
            cmp += 1
            let s = MinHasher.estimate(members[a].sig, members[b].sig)
            switch rule.decide(s) {
            case .duplicate: edgeList.append(VerifiedEdge(at[a], at[b], s))
            case .distinct: break
            case .needsExact: ambiguous.add(at[a], at[b])
            }
        }
        comparisons += cmp
        // A pair sharing several bands verifies once per band: fold repeats away as the list grows.
        if edgeList.count > 2 * compactedAt + (1 << 20) { Self.compact(&edgeList); compactedAt = edgeList.count }
    }

    static func compact(_ e: inout [VerifiedEdge]) {
        e.sort { ($0.a, $0.b) < ($1.a, $1.b) }
        var w = 0
        for r in 0..<e.count where w == 0 || e[w - 1].a != e[r].a || e[w - 1].b != e[r].b { e[w] = e[r]; w += 1 }
        e.removeLast(e.count - w)
    }

    /// The kept set over every document seen in a shared bucket (in (path, line) order, the one-shot
    /// run's document order), and the removals with their kept witnesses.
    public mutating func removals() throws -> [LocatedRemoval] {
        try verifyAmbiguous()
        let order = (0..<locations.count).sorted { locations[$0] < locations[$1] }
        var rank = [Int](repeating: 0, count: order.count)
        for (r, k) in order.enumerated() { rank[k] = r }
        let edges = edgeList.map { VerifiedEdge(rank[Int($0.a)], rank[Int($0.b)], $0.similarity, exact: $0.exact) }
        let graph = SimilarityGraph(count: order.count, edges: edges)
        self.edges = graph.edgeCount
        let length = order.map { nodes[$0].length }
        let score = order.map { nodes[$0].score }
        return selectKeepers(graph, select: select, keep: keep, length: length, score: score).map { r in
            let d = order[r.doc], k = order[r.keptDoc]
            return LocatedRemoval(location: locations[d], id: nodes[d].id, kept: locations[k],
                                  keptID: nodes[k].id, similarity: r.similarity, exact: r.exact)
        }
    }

    /// Removal lines: PATH \t LINE \t ID \t KEPT_ID \t SIMILARITY \t VERIFIED (JSON strings for PATH and IDs).
    public static func write(_ removals: [LocatedRemoval], to out: OutputFile) throws {
        for r in removals {
            var line: [UInt8] = []
            JSONString.append(r.path, to: &line)
            line.append(contentsOf: "\t\(r.line)\t".utf8)
            JSONString.append(r.id, to: &line)
            line.append(0x09)
            JSONString.append(r.keptID, to: &line)
            line.append(contentsOf: "\t\(r.similarity)\t\(r.exact ? "exact" : "estimate")\n".utf8)
            try out.write(line)
        }
    }

    /// Reads a removal list back into the set of locations to drop.
    public static func readRemovals(_ path: String) throws -> Set<DocLocation> {
        let reader = try LineReader(path: path == "-" ? nil : path)
        var out = Set<DocLocation>()
        while let l = try reader.next() {
            if l.bytes.isEmpty { continue }
            let parts = String(decoding: l.bytes, as: UTF8.self).split(separator: "\t", omittingEmptySubsequences: false)
            guard parts.count >= 2, case .string(let p)? = try? JSONValue.parse(String(parts[0])), let n = Int(parts[1]) else {
                throw InputError(.format, file: reader.name, line: l.number, "removal line: expected PATH<TAB>LINE...")
            }
            out.insert(DocLocation(path: DocLocation.canonical(p), line: n))
        }
        return out
    }
}

/// The apply phase: copies the records of `inputs` (canonical order) except the removed ones.
public func dedupApply(removals: Set<DocLocation>, inputs: [String], output: OutputFile, policy: ErrorPolicy = .fail) throws -> (kept: Int, removed: Int) {
    let records = try StageInput(paths: inputs, policy: policy)
    var kept = 0, removed = 0
    var canonical: [String: String] = [:]
    try records.forEach { path, line, json in
        let c = canonical[path] ?? { let c = DocLocation.canonical(path); canonical[path] = c; return c }()
        if removals.contains(DocLocation(path: c, line: line)) { removed += 1; return }
        try output.write(json.bytes); try output.writeByte(0x0A)
        kept += 1
    }
    try records.finish(command: "dedup apply")
    if removed == 0, let example = removals.first {
        // Nothing matched: the list was made for other files (or other spellings of them).
        throw InputError(.invalidValue, file: example.path, field: "removals",
                         "the removal list names \(removals.count) records, none of them in these inputs (\(inputs.joined(separator: ", ")))")
    }
    return (kept, removed)
}

/// A temporary file path removed when this object goes away.
public final class StageSpillFile {
    public let path: String
    public init(suffix: String) throws {
        let dir = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        path = "\(dir)/spindle-\(getpid())-\(UInt64.random(in: 0..<UInt64.max)).\(suffix)"
    }
    deinit { unlink(path) }
}

/// Sorts a signature file with `sort` (C locale, bounded memory, temporary runs beside the input).
public func externalSort(input: String, output: String, memory: Int) throws {
    let slash = input.lastIndex(of: "/")
    let dir = slash.map { String(input[..<$0]) } ?? "."
    let args = ["sort", "-S", "\(max(1, memory / 2 / 1024))K", "-T", dir.isEmpty ? "/" : dir, "-o", output, input]
    var argv: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) } + [nil]
    defer { for a in argv { free(a) } }
    setenv("LC_ALL", "C", 1)
    var pid: pid_t = 0
    let rc = posix_spawnp(&pid, "sort", nil, nil, &argv, environ)
    guard rc == 0 else { throw SystemError(path: input, operation: "run sort", errno: rc) }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    if status != 0 { throw SystemError(path: input, operation: "sort (sort exited with status \(status))", errno: EIO) }
}

/// Standard base64 (RFC 4648) for signature fields.
public enum Base64 {
    static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    static let reverse: [UInt8] = {
        var r = [UInt8](repeating: 255, count: 256)
        for (i, c) in alphabet.enumerated() { r[Int(c)] = UInt8(i) }
        return r
    }()

    public static func encode(_ data: UnsafeRawBufferPointer, into out: inout [UInt8]) {
        var i = 0
        let n = data.count
        while i + 3 <= n {
            let v = UInt32(data[i]) << 16 | UInt32(data[i + 1]) << 8 | UInt32(data[i + 2])
            out.append(alphabet[Int(v >> 18)]); out.append(alphabet[Int((v >> 12) & 63)])
            out.append(alphabet[Int((v >> 6) & 63)]); out.append(alphabet[Int(v & 63)])
            i += 3
        }
        if n - i == 1 {
            let v = UInt32(data[i]) << 16
            out.append(alphabet[Int(v >> 18)]); out.append(alphabet[Int((v >> 12) & 63)]); out.append(61); out.append(61)
        } else if n - i == 2 {
            let v = UInt32(data[i]) << 16 | UInt32(data[i + 1]) << 8
            out.append(alphabet[Int(v >> 18)]); out.append(alphabet[Int((v >> 12) & 63)])
            out.append(alphabet[Int((v >> 6) & 63)]); out.append(61)
        }
    }

    /// Decodes base64; nil on a bad character or length.
    public static func decode(_ s: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        guard s.count % 4 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(s.count / 4 * 3)
        var i = 0
        while i < s.count {
            var v: UInt32 = 0
            var pad = 0
            for k in 0..<4 {
                let c = s[i + k]
                if c == 61 { pad += 1; v <<= 6; continue }
                let d = reverse[Int(c)]
                if d == 255 || pad > 0 { return nil }
                v = v << 6 | UInt32(d)
            }
            out.append(UInt8(v >> 16))
            if pad < 2 { out.append(UInt8((v >> 8) & 255)) }
            if pad < 1 { out.append(UInt8(v & 255)) }
            i += 4
        }
        return out
    }
}

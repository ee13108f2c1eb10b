// The reduce phase split in two, for a shuffle that hands each reducer only some of the band keys
// (spindle-ray: Ray shuffles the signature lines by band key into partitions):
//   clusters --emit-edges (one partition):  its buckets -> candidate pairs -> verified edges (the
//                      ambiguous ones verified exactly by reading their documents again), no selection
//                      PATH_A LINE_A ID_A LENGTH_A SCORE_A PATH_B LINE_B ID_B LENGTH_B SCORE_B SIMILARITY VERIFIED
//   select (one step over every partition's edges): the graph -> the kept set -> the removal list,
//                      exactly as `clusters` chooses it over all buckets at once.
// A pair met in several partitions is verified the same way in each (the decision is a function of the
// two signatures, or of the two documents), so the union of the partitions' edges is the graph one
// reducer builds. Documents without an edge are kept by both selection modes and influence nothing, so
// `select` holds only the edges' endpoints: memory grows with the edges, not the corpus.

import SpindleIO

extension DedupClusterReducer {
    /// The verified edges of every bucket consumed so far (ambiguous pairs verified exactly first), as
    /// edge lines in (PATH_A, LINE_A, PATH_B, LINE_B) order, each endpoint's id, length and score included.
    public mutating func writeEdges(to out: OutputFile) throws {
        try verifyAmbiguous()
        Self.compact(&edgeList)
        // Each edge with its endpoints in document order, the edges in that order too.
        var ordered: [(x: Int, y: Int, e: VerifiedEdge)] = edgeList.map { e in
            let a = Int(e.a), b = Int(e.b)
            return locations[a] < locations[b] ? (a, b, e) : (b, a, e)
        }
        ordered.sort { (locations[$0.x], locations[$0.y]) < (locations[$1.x], locations[$1.y]) }
        edges = ordered.count
        var line: [UInt8] = []
        for (x, y, e) in ordered {
            line.removeAll(keepingCapacity: true)
            appendNode(x, to: &line)
            line.append(0x09)
            appendNode(y, to: &line)
            line.append(contentsOf: "\t\(e.similarity)\t\(e.exact ? "exact" : "estimate")\n".utf8)
            try out.write(line)
        }
    }

    func appendNode(_ k: Int, to line: inout [UInt8]) {
        JSONString.append(locations[k].path, to: &line)
        line.append(contentsOf: "\t\(locations[k].line)\t".utf8)
        JSONString.append(nodes[k].id, to: &line)
        let s = nodes[k].score
        line.append(contentsOf: "\t\(nodes[k].length)\t\(s.isFinite ? String(s) : "-inf")".utf8)
    }

    /// Reads edge lines written by `writeEdges` (any number of files, any order, repeats allowed) into
    /// the graph; `removals()` then chooses the kept set.
    public mutating func consumeEdges(path: String) throws {
        let reader = try LineReader(path: path == "-" ? nil : path)
        while let l = try reader.next() {
            if l.bytes.isEmpty { continue }
            lines += 1
            let f = String(decoding: l.bytes, as: UTF8.self).split(separator: "\t", omittingEmptySubsequences: false)
            func bad(_ why: String) -> InputError { InputError(.format, file: reader.name, line: l.number, "edge line: \(why)") }
            guard f.count == 12 else { throw bad("expected 12 tab-separated fields, found \(f.count)") }
            guard let a = Self.edgeNode(f[0..<5]), let b = Self.edgeNode(f[5..<10]) else { throw bad("malformed endpoint") }
            guard let sim = Double(f[10]), sim.isFinite, f[11] == "exact" || f[11] == "estimate" else {
                throw bad("malformed similarity or verification")
            }
            guard a.0 != b.0 else { throw bad("an edge joins a document to itself") }
            edgeList.append(VerifiedEdge(node(a.0, a.1), node(b.0, b.1), sim, exact: f[11] == "exact"))
            if edgeList.count > 2 * compactedAt + (1 << 20) { Self.compact(&edgeList); compactedAt = edgeList.count }
        }
    }

    static func edgeNode(_ f: ArraySlice<Substring>) -> (DocLocation, Node)? {
        let i = f.startIndex
        guard case .string(let path)? = try? JSONValue.parse(String(f[i])), let line = Int(f[i + 1]),
              case .string(let id)? = try? JSONValue.parse(String(f[i + 2])), let length = Int(f[i + 3]),
              let score = Double(f[i + 4]) else { return nil }
        return (DocLocation(path: path, line: line), Node(id: id, length: length, score: score))
    }

    mutating func node(_ loc: DocLocation, _ n: Node) -> Int {
        if let k = index[loc] { return k }
        index[loc] = nodes.count
        locations.append(loc); nodes.append(n)
        return nodes.count - 1
    }
}

extension DedupClusterReducer {
    /// `clusters --emit-edges`: the sorted signature files of `inputs` (one shuffle partition), their
    /// verified edges written to `output`; returns the summary line.
    public mutating func runEdgePhase(inputs: [String], output: OutputFile) throws -> String {
        for f in (inputs.isEmpty ? ["-"] : inputs) { try consume(path: f) }
        try writeEdges(to: output)
        return "dedup clusters: \(lines) signature lines, \(comparisons) comparisons (\(exactPairs) verified exactly), \(edges) edges"
    }

    /// `select`: the edge files of `inputs` (every partition's), the removal list written to `output`.
    public mutating func runSelectPhase(inputs: [String], output: OutputFile) throws -> String {
        for f in (inputs.isEmpty ? ["-"] : inputs) { try consumeEdges(path: f) }
        let removals = try removals()
        try Self.write(removals, to: output)
        return "dedup select: \(lines) edge lines, \(edges) distinct edges over \(nodes.count) documents, \(removals.count) documents to remove"
    }
}

// `dedup clusters --emit-edges` per shuffle partition and one `dedup select` over their edges keep what
// one reducer (and the one-shot run) keeps: the reduce as spindle-ray runs it across a cluster.
import Testing
import SpindleIO
@testable import SpindleStages
import SpindleTestSupport

extension DedupStageTests {
    /// Signature lines of `files` split by band key into `parts` partitions, each sorted by key.
    func partitionedSignatures(_ o: DedupOptions, _ files: [String], _ dir: TempDir, parts: Int) throws -> [String] {
        var lines: [String] = []
        for (k, f) in files.enumerated() {
            let out = try dir.out("sig\(k).tsv")
            _ = try DedupMap(options: o).run(inputs: [f], output: out, policy: .fail, rejectsPath: nil)
            try out.commit()
            lines += try dir.read("sig\(k).tsv").split(separator: "\n").map(String.init)
        }
        var byPart = [[String]](repeating: [], count: parts)
        for l in lines { byPart[Int(UInt64(l.prefix(16), radix: 16)! % UInt64(parts))].append(l) }
        return try byPart.enumerated().map { p, part in
            try dir.file("part\(p).tsv", part.sorted { $0.prefix(16) < $1.prefix(16) })
        }
    }

    @Test(arguments: [(KeepRule.first, SelectMode.greedy), (.field("q"), .greedy), (.first, .firstSeen)], [false, true])
    func edgePartitionsAndSelectKeepWhatOneReducerKeeps(rule: (KeepRule, SelectMode), chains: Bool) throws {
        let (keep, select) = rule
        let dir = TempDir("stages"); defer { dir.cleanup() }
        let files = chains ? try chainCorpus(dir) : try nearCorpus(dir)
        var o = DedupOptions(); o.mode = .near; o.keep = keep; o.select = select
        let (_, oneShot) = try run(o, files, dir, "one.jsonl")
        #expect(oneShot.removed.count >= 20)
        for parts in [1, 3, 7] {
            var edgeFiles: [String] = []
            var exactPairs = 0
            for (p, part) in try partitionedSignatures(o, files, dir, parts: parts).enumerated() {
                var reducer = DedupClusterReducer(threshold: o.threshold, keep: keep, select: select)
                let out = try dir.out("edges\(p).tsv")
                _ = try reducer.runEdgePhase(inputs: [part], output: out)
                try out.commit()
                exactPairs += reducer.exactPairs
                edgeFiles.append("\(dir.path)/edges\(p).tsv")
            }
            if chains { #expect(exactPairs > 0) }  // the ambiguous band is verified inside the partitions
            // Any order of the edge files: the graph is a set of edges.
            var selector = DedupClusterReducer(threshold: 0, keep: keep, select: select)
            let out = try dir.out("removals.tsv")
            _ = try selector.runSelectPhase(inputs: edgeFiles.reversed(), output: out)
            try out.commit()
            let removals = try DedupClusterReducer.readRemovalLines("\(dir.path)/removals.tsv")
            #expect(removals == oneShot.removed, "with \(parts) partitions")
        }
    }

    @Test func selectRefusesMalformedEdgeLines() throws {
        let dir = TempDir("stages"); defer { dir.cleanup() }
        let bad = try dir.file("e.tsv", ["\"a\"\t1\t\"x\"\t10\t-inf\t\"a\"\t2\t\"y\"\t10\t-inf\t0.9"])
        var r = DedupClusterReducer(threshold: 0, keep: .first)
        #expect(throws: InputError.self) { try r.consumeEdges(path: bad) }
        let selfEdge = try dir.file("s.tsv", ["\"a\"\t1\t\"x\"\t10\t-inf\t\"a\"\t1\t\"x\"\t10\t-inf\t0.9\testimate"])
        #expect(throws: InputError.self) { try r.consumeEdges(path: selfEdge) }
    }
}

extension DedupClusterReducer {
    /// A removal list read back as the report's removals (id, kept id, similarity, verification).
    static func readRemovalLines(_ path: String) throws -> [DedupRemoved] {
        let reader = try LineReader(path: path)
        var out: [DedupRemoved] = []
        while let l = try reader.next() {
            let f = String(decoding: l.bytes, as: UTF8.self).split(separator: "\t", omittingEmptySubsequences: false)
            guard f.count == 6, case .string(let id)? = try? JSONValue.parse(String(f[2])),
                  case .string(let kept)? = try? JSONValue.parse(String(f[3])), let s = Double(f[4]) else { continue }
            out.append(DedupRemoved(id: id, duplicateOf: kept, similarity: s, exact: f[5] == "exact"))
        }
        return out
    }
}

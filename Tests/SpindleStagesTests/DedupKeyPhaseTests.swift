// Exact and line/paragraph dedup as map (`dedup keys`) / shuffle by key / reduce (`dedup repeats`) /
// apply, the way spindle-ray runs them: the documents cut into blocks (one file each, named in input
// order), the key lines split into partitions by key, each partition reduced on its own; the blocks'
// outputs concatenated must be the one-shot run's bytes.
import Testing
import SpindleIO
@testable import SpindleStages
import SpindleTestSupport

@Suite struct DedupKeyPhaseTests {
    /// Documents with exact copies (case and punctuation changed), shared boilerplate lines and
    /// paragraphs, repeats inside one document, digits that normalise alike, and a numeric field.
    func corpus() -> [String] {
        let base = syntheticDocuments(40, words: 30, seed: 5)
        let boiler = ["Share on Facebook", "Cookie policy: we use cookies.", "All rights reserved 2021", "all rights reserved 2024!"]
        var rng = SeededRandom(seed: 9)
        var docs: [String] = []
        for i in 0..<160 {
            var parts: [String] = []
            for k in 0..<(1 + Int(rng.next() % 5)) {
                let r = rng.next() % 10
                parts.append(r < 4 ? boiler[Int(rng.next() % 4)] : r < 6 ? base[Int(rng.next() % 40)] : "line \(k) of \(i) \(base[i % 40].prefix(20))")
                if rng.next() % 4 == 0 { parts.append("") }   // paragraph breaks
            }
            if i % 9 == 4 { parts.append(parts[0]) }         // a repeat inside the document stays
            var text = parts.joined(separator: "\n")
            if i % 11 == 7 { text = docs.isEmpty ? text : (try! JSONLine(Array(docs[i / 2].utf8)).string("text") ?? "").uppercased() + "." }
            docs.append(jsonLine("d\(i)", text, extra: ",\"q\":\(rng.next() % 4)"))
        }
        return docs
    }

    /// The whole corpus in one file and cut into `blocks` files named in input order.
    func files(_ dir: TempDir, blocks: Int) throws -> (whole: String, blocks: [String]) {
        let docs = corpus()
        let per = (docs.count + blocks - 1) / blocks
        let parts = try stride(from: 0, to: docs.count, by: per).enumerated().map { k, s in
            try dir.file("b\(blocks)-\(String(1000 + k)).jsonl", Array(docs[s..<min(docs.count, s + per)]))
        }
        return (try dir.file("whole.jsonl", docs), parts)
    }

    /// Map every block, split the key lines by key into `parts` partitions (sorted by key), reduce each.
    func removalFiles(_ o: DedupOptions, _ blocks: [String], _ dir: TempDir, parts: Int) throws -> [String] {
        var byPart = [[String]](repeating: [], count: parts)
        for (k, b) in blocks.enumerated() {
            let out = try dir.out("keys\(k).tsv")
            _ = try DedupKeyMap(options: o).run(inputs: [b], output: out, policy: .fail, rejectsPath: nil)
            try out.commit()
            for l in try dir.read("keys\(k).tsv").split(separator: "\n") {
                byPart[Int(UInt64(l.prefix(16), radix: 16)! % UInt64(parts))].append(String(l))
            }
        }
        return try byPart.enumerated().map { p, lines in
            let sorted = try dir.file("part\(p).tsv", lines.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
            var reducer = DedupKeyReducer(keep: o.keep)
            let out = try dir.out("removals\(p).tsv")
            _ = try reducer.run(inputs: [sorted], output: out)
            try out.commit()
            return dir.sub("removals\(p).tsv")
        }
    }

    /// The blocks' kept records, block by block, with the removals of every partition.
    func applied(_ o: DedupOptions, _ blocks: [String], _ removals: [String], _ dir: TempDir) throws -> String {
        var text = ""
        for (k, b) in blocks.enumerated() {
            let out = try dir.out("kept\(k).jsonl")
            if o.mode == .exact {
                var set = Set<DocLocation>()
                for r in removals { set.formUnion(try DedupClusterReducer.readRemovals(r)) }
                let mine = set.filter { $0.path == DocLocation.canonical(b) }
                _ = try dedupApply(removals: mine, inputs: [b], output: out)
            } else {
                var units: [DocLocation: Set<UInt64>] = [:]
                for r in removals { units.merge(try DedupKeyReducer.readUnitRemovals(r)) { $0.union($1) } }
                _ = try dedupApplyUnits(removals: units.filter { $0.key.path == DocLocation.canonical(b) },
                                        unit: o.mode == .lines ? .line : .paragraph, minRemaining: o.minRemaining,
                                        textField: "text", inputs: [b], output: out)
            }
            try out.commit()
            text += try dir.read("kept\(k).jsonl")
        }
        return text
    }

    static let modes: [(DedupOptions.Mode, KeepRule, Bool, Double)] = [
        (.exact, .first, true, 0), (.exact, .longest, true, 0), (.exact, .field("q"), true, 0), (.exact, .first, false, 0),
        (.lines, .first, true, 0), (.lines, .first, true, 0.5), (.paragraphs, .first, true, 0.3),
    ]

    @Test(arguments: modes)
    func keyPartitionsKeepWhatOneMachineKeeps(mode: (DedupOptions.Mode, KeepRule, Bool, Double)) throws {
        let dir = TempDir("stages"); defer { dir.cleanup() }
        var o = DedupOptions(); o.mode = mode.0; o.keep = mode.1; o.normalize = mode.2; o.minRemaining = mode.3
        let whole = try files(dir, blocks: 1).whole
        let out = try dir.out("one.jsonl")
        let report = try DedupStage(options: o).run(inputs: [whole], output: out)
        try out.commit()
        let oneShot = try dir.read("one.jsonl")
        #expect(report.documentsOut < report.documentsIn || report.unitsRemoved > 10, "the corpus must exercise \(mode.0)")
        for (blocks, parts) in [(1, 1), (3, 2), (7, 5), (16, 16)] {
            let b = try files(dir, blocks: blocks).blocks
            let removals = try removalFiles(o, b, dir, parts: parts)
            #expect(try applied(o, b, removals, dir) == oneShot, "\(mode.0) keep \(mode.1.name): \(blocks) blocks, \(parts) partitions")
        }
    }

    @Test func repeatsRefusesUnsortedAndMixedKeys() throws {
        let dir = TempDir("stages"); defer { dir.cleanup() }
        let unsorted = try dir.file("u.tsv", ["00000000000000ff\t\"a\"\t1", "0000000000000001\t\"a\"\t2"])
        var r = DedupKeyReducer()
        #expect(throws: InputError.self) { _ = try r.run(inputs: [unsorted], output: try dir.out("x")) }
        let mixed = try dir.file("m.tsv", ["0000000000000001\t\"a\"\t1",
                                           "00000000000000010000000000000001\t\"a\"\t2\t5\t-inf\t\"x\""])
        var m = DedupKeyReducer()
        #expect(throws: InputError.self) { _ = try m.run(inputs: [mixed], output: try dir.out("y")) }
        let short = try dir.file("s.tsv", ["01\t\"a\"\t1"])
        var s = DedupKeyReducer()
        #expect(throws: InputError.self) { _ = try s.run(inputs: [short], output: try dir.out("z")) }
    }

    @Test func unitRemovalsForOtherFilesAreRefused() throws {
        let dir = TempDir("stages"); defer { dir.cleanup() }
        let a = try dir.file("a.jsonl", [jsonLine("1", "x\ny")])
        let list = try dir.file("r.tsv", ["\"/nowhere/b.jsonl\"\t1\t0000000000000001"])
        let units = try DedupKeyReducer.readUnitRemovals(list)
        #expect(throws: InputError.self) {
            _ = try dedupApplyUnits(removals: units, unit: .line, minRemaining: 0, textField: "text", inputs: [a], output: try dir.out("o"))
        }
    }
}

import Testing
import SpindleIO
@testable import SpindleStages
import SpindleTestSupport

/// Chain-shaped clusters: each copy edits an earlier copy (2 of 150 words substituted per step, J ~ 0.87
/// to its parent, ~0.76 two steps away), in scrambled order over two files, plus unrelated documents.
func chainCorpus(_ dir: TempDir, bases: Int = 30) throws -> [String] {
    let base = syntheticDocuments(bases + 20, words: 150, seed: 41)
    var rng = SeededRandom(seed: 43)
    var a: [String] = [], b: [String] = []
    for i in 0..<bases {
        var chain = [base[i]]
        for k in 1..<(3 + i % 5) {
            let parent = k < 3 ? k - 1 : Int(rng.next() % UInt64(k))   // a path first, then branches
            chain.append(substitute(chain[parent], 2, seed: UInt64(1000 * i + k)))
        }
        // Scramble the order: the original is rarely first.
        var order = Array(0..<chain.count)
        for j in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(j, Int(rng.next() % UInt64(j + 1))) }
        for (n, k) in order.enumerated() {
            let line = jsonLine("x\(i).\(k)", chain[k], extra: ",\"q\":\((i * 7 + k * 3) % 5)")
            if n % 2 == 0 { a.append(line) } else { b.append(line) }
        }
    }
    for i in bases..<(bases + 20) { a.append(jsonLine("u\(i)", base[i])) }
    return [try dir.file("chain-a.jsonl", a), try dir.file("chain-b.jsonl", b)]
}

@Suite struct DedupChainTests {
    func run(_ o: DedupOptions, _ inputs: [String], _ dir: TempDir, _ name: String) throws -> (String, DedupReport) {
        let out = try dir.out(name)
        let r = try DedupStage(options: o).run(inputs: inputs, output: out)
        try out.commit()
        return (try dir.read(name), r)
    }

    /// id -> text and input order (files in sorted path order, as the stage reads them).
    func documents(_ files: [String]) throws -> (text: [String: String], order: [String: Int]) {
        var text: [String: String] = [:], order: [String: Int] = [:]
        try StageInput(paths: files).forEach { _, _, json in
            let id = StageText.id(of: json, fallback: "")
            var t: [UInt8] = []
            try StageText.text(of: json, field: "text", into: &t)
            text[id] = String(decoding: t, as: UTF8.self); order[id] = order.count
        }
        return (text, order)
    }

    @Test func theCorpusHasChains() throws {
        let dir = TempDir("chains"); defer { dir.cleanup() }
        let (text, _) = try documents(try chainCorpus(dir))
        let sh = Shingler(n: 5)
        func j(_ x: String, _ y: String) -> Double { Shingler.jaccard(sh.shingleSet(text[x]!), sh.shingleSet(text[y]!)) }
        // x0.0 ~ x0.1 ~ x0.2 but x0.0 !~ x0.2: union-find would remove one end through the middle.
        #expect(j("x0.0", "x0.1") >= 0.8 && j("x0.1", "x0.2") >= 0.8 && j("x0.0", "x0.2") < 0.8)
    }

    /// The guarantee, checked independently: every removed document's duplicate_of is in the output, and
    /// the reported similarity is the exact Jaccard (--verify exact) or the signature estimate, >= threshold.
    @Test(arguments: VerifyMode.allCases, SelectMode.allCases)
    func everyRemovalHasAKeptWitness(verify: VerifyMode, select: SelectMode) throws {
        let dir = TempDir("chains"); defer { dir.cleanup() }
        let files = try chainCorpus(dir)
        let (text, order) = try documents(files)
        var o = DedupOptions(); o.mode = .near; o.verify = verify; o.select = select
        let (out, r) = try run(o, files, dir, "o.jsonl")
        let kept = Set(try out.split(separator: "\n").map { StageText.id(of: try JSONLine(Array($0.utf8)), fallback: "") })
        #expect(r.removed.count >= 50 && kept.count + r.removed.count == text.count)
        let sh = Shingler(n: 5)
        var pipe = MinHashPipeline()
        for x in r.removed {
            #expect(kept.contains(x.duplicateOf) && !kept.contains(x.id))
            #expect(x.duplicateOf.split(separator: ".")[0] == x.id.split(separator: ".")[0])   // same chain
            // exact: every pair; estimate: none; hybrid: exactly the pairs whose estimate is in the band.
            let estimate = MinHasher.estimate(pipe.signature(of: text[x.id]!), pipe.signature(of: text[x.duplicateOf]!))
            let rule = PairVerifier(mode: verify, threshold: o.threshold, numPerm: o.numPerm, margin: o.estimateMargin)
            #expect(x.exact == (rule.decide(estimate) == .needsExact))
            let truth = x.exact ? Shingler.jaccard(sh.shingleSet(text[x.id]!), sh.shingleSet(text[x.duplicateOf]!)) : estimate
            #expect(truth == x.similarity)
            #expect(x.similarity >= (x.exact ? o.threshold : rule.upper))
            if select == .firstSeen { #expect(order[x.duplicateOf]! < order[x.id]!) }
        }
    }

    /// Greedy removes at least as much as first-seen here (chains favour keeping the middle), and both
    /// remove nothing unrelated.
    @Test func greedyRemovesMoreThanFirstSeenOnChains() throws {
        let dir = TempDir("chains"); defer { dir.cleanup() }
        let files = try chainCorpus(dir)
        var o = DedupOptions(); o.mode = .near; o.verify = .exact
        let g = try run(o, files, dir, "g.jsonl").1
        o.select = .firstSeen
        let f = try run(o, files, dir, "f.jsonl").1
        #expect(g.removed.count > f.removed.count)
        #expect((g.removed + f.removed).allSatisfy { !$0.id.hasPrefix("u") })
    }

    /// Byte-identical outputs and removal lists across runs, input orders and the spill path.
    @Test(arguments: SelectMode.allCases)
    func deterministic(select: SelectMode) throws {
        let dir = TempDir("chains"); defer { dir.cleanup() }
        let files = try chainCorpus(dir)
        var o = DedupOptions(); o.mode = .near; o.select = select
        let (x, rx) = try run(o, files, dir, "x.jsonl")
        let (y, ry) = try run(o, files.reversed(), dir, "y.jsonl")
        o.memoryBudget = 40 * o.bytesPerDocument
        let (z, rz) = try run(o, files, dir, "z.jsonl")
        #expect(rz.spilled)
        #expect(x == y && x == z && !x.isEmpty)
        #expect(rx.removed == ry.removed && rx.removed == rz.removed)
        #expect(rx.exactPairs > 0 && rx.exactPairs == rz.exactPairs)
    }
}

import Testing
import SpindleIO
@testable import SpindleStages
import SpindleTestSupport

@Suite struct DedupStageTests {
    func run(_ o: DedupOptions, _ inputs: [String], _ dir: TempDir, _ name: String) throws -> (String, DedupReport) {
        let out = try dir.out(name)
        let r = try DedupStage(options: o).run(inputs: inputs, output: out)
        try out.commit()
        return (try dir.read(name), r)
    }

    @Test func exactKeepsFirstAndPassesFieldsThrough() throws {
        let dir = TempDir("stages"); defer { dir.cleanup() }
        let a = try dir.file("a.jsonl", [
            #"{"id":"1","text":"Hello, World!","source":"web","meta":{"n":1.50,"tags":["x"]}}"#,
            #"{"id":"2","text":"hello world","source":"web"}"#,
            #"{"id":"3","text":"Something else"}"#,
        ])
        let (out, r) = try run(DedupOptions(), [a], dir, "o.jsonl")
        #expect(out == #"{"id":"1","text":"Hello, World!","source":"web","meta":{"n":1.50,"tags":["x"]}}"# + "\n" + #"{"id":"3","text":"Something else"}"# + "\n")
        #expect(r.removed == [DedupRemoved(id: "2", duplicateOf: "1", similarity: 1)])
        var raw = DedupOptions(); raw.normalize = false
        #expect(try run(raw, [a], dir, "o2.jsonl").1.removed.isEmpty)
    }

    @Test func exactKeepLongestAndField() throws {
        let dir = TempDir("stages"); defer { dir.cleanup() }
        let a = try dir.file("a.jsonl", [
            #"{"id":"1","text":"same text","q":1}"#, #"{"id":"2","text":"SAME text!!!","q":3}"#, #"{"id":"3","text":"Same  text.","q":2}"#,
        ])
        var o = DedupOptions(); o.keep = .longest
        #expect(try run(o, [a], dir, "l.jsonl").0.contains(#""id":"2""#))
        o.keep = .field("q")
        let (out, r) = try run(o, [a], dir, "f.jsonl")
        #expect(out.contains(#""id":"2""#) && r.documentsOut == 1)
    }

    @Test func linesModeRemovesBoilerplate() throws {
        let dir = TempDir("stages"); defer { dir.cleanup() }
        let a = try dir.file("a.jsonl", [
            jsonLine("1", "Story one begins here.\nShare on Facebook\nCookie policy"),
            jsonLine("2", "Story two is different.\nShare on facebook!\nCookie Policy"),
            jsonLine("3", "Share on Facebook\nCookie policy"),
        ])
        var o = DedupOptions(); o.mode = .lines; o.minRemaining = 0.2
        let (out, r) = try run(o, [a], dir, "o.jsonl")
        #expect(out == jsonLine("1", "Story one begins here.\nShare on Facebook\nCookie policy") + "\n" + jsonLine("2", "Story two is different.") + "\n")
        #expect(r.unitsRemoved == 4 && r.documentsEmptied == 1)
    }

    func nearCorpus(_ dir: TempDir) throws -> [String] {
        let base = syntheticDocuments(60, words: 150, seed: 11)
        var a: [String] = [], b: [String] = []
        for (i, t) in base.enumerated() {
            a.append(jsonLine("a\(i)", t, extra: ",\"q\":\(i % 7)"))
            // Near copies (2 substitutions in 150 words: J ~ 0.88), far edits (30 substitutions) and exact copies.
            if i % 3 == 0 { b.append(jsonLine("b\(i)", substitute(t, 2, seed: UInt64(i)), extra: ",\"q\":\(i % 5)")) }
            if i % 5 == 0 { b.append(jsonLine("c\(i)", substitute(t, 30, seed: UInt64(i) + 99))) }
            if i % 7 == 0 { a.append(jsonLine("d\(i)", t.uppercased())) }
        }
        return [try dir.file("b.jsonl", b), try dir.file("a.jsonl", a)]
    }

    @Test(arguments: [(KeepRule.first, SelectMode.greedy), (.longest, .greedy), (.field("q"), .greedy), (.first, .firstSeen)],
          [false, true])
    func threePhaseKeepsTheSameSetAsOneShot(rule: (KeepRule, SelectMode), chains: Bool) throws {
        let (keep, select) = rule
        let dir = TempDir("stages"); defer { dir.cleanup() }
        let files = chains ? try chainCorpus(dir) : try nearCorpus(dir)
        var o = DedupOptions(); o.mode = .near; o.keep = keep; o.select = select
        let (oneShot, r) = try run(o, files, dir, "one.jsonl")
        #expect(r.documentsIn - r.documentsOut >= 25)  // most of 20 near copies and 9 case-only copies; chains: ~60

        // Map: one signatures file per shard; sort; reduce; apply.
        for (k, f) in files.enumerated() {
            let w = try DedupSignatureWriter(path: "\(dir.path)/sig\(k).tsv", lsh: o.resolvedLSH)
            var pipe = MinHashPipeline()
            var sig = [UInt32](repeating: 0, count: 128)
            var text: [UInt8] = []
            let inp = try StageInput(paths: [f])
            try inp.forEach { path, line, json in
                try StageText.text(of: json, field: "text", into: &text)
                text.withUnsafeBufferPointer { t in sig.withUnsafeMutableBufferPointer { pipe.signature(of: t, into: $0) } }
                let score: Double = { if case .field(let q) = keep { return StageText.number(of: json, field: q) ?? -.infinity }; return -.infinity }()
                try sig.withUnsafeBufferPointer {
                    try w.write(path: path, line: line, id: StageText.id(of: json, fallback: ""), length: text.count, score: score, signature: $0)
                }
            }
            try w.close()
        }
        #expect(try shell("cat '\(dir.path)/sig0.tsv' '\(dir.path)/sig1.tsv' > '\(dir.path)/all.tsv'").status == 0)
        try externalSort(input: "\(dir.path)/all.tsv", output: "\(dir.path)/sorted.tsv", memory: 1 << 20)
        var reducer = DedupClusterReducer(threshold: o.threshold, keep: keep, select: select)
        try reducer.consume(path: "\(dir.path)/sorted.tsv")
        let removals = try reducer.removals()
        if chains { #expect(reducer.exactPairs > 0 && reducer.exactPairs == r.exactPairs) }  // the band is exercised
        let out = try dir.out("removals.tsv")
        try DedupClusterReducer.write(removals, to: out)
        try out.commit()
        let set = try DedupClusterReducer.readRemovals("\(dir.path)/removals.tsv")
        let applied = try dir.out("three.jsonl")
        _ = try dedupApply(removals: set, inputs: files, output: applied)
        try applied.commit()
        #expect(try dir.read("three.jsonl") == oneShot)
        #expect(removals.map { DedupRemoved(id: $0.id, duplicateOf: $0.keptID, similarity: $0.similarity, exact: $0.exact) } == r.removed)
    }

    @Test func inputOrderDoesNotMatterAndRunsAreDeterministic() throws {
        let dir = TempDir("stages"); defer { dir.cleanup() }
        let files = try nearCorpus(dir)
        var o = DedupOptions(); o.mode = .near
        let x = try run(o, files, dir, "x.jsonl").0
        let y = try run(o, files.reversed(), dir, "y.jsonl").0
        let z = try run(o, files, dir, "z.jsonl").0
        #expect(x == y && x == z && !x.isEmpty)
    }

    @Test func spillingPastTheMemoryBudgetKeepsTheSameSet() throws {
        let dir = TempDir("stages"); defer { dir.cleanup() }
        let files = try nearCorpus(dir)
        var o = DedupOptions(); o.mode = .near
        let (inMemory, _) = try run(o, files, dir, "mem.jsonl")
        o.memoryBudget = 20 * o.bytesPerDocument
        let (spilled, r) = try run(o, files, dir, "spill.jsonl")
        #expect(r.spilled)
        #expect(spilled == inMemory)
    }

    @Test(arguments: VerifyMode.allCases)
    func nearFindsCopiesButNotFarEdits(verify: VerifyMode) throws {
        let dir = TempDir("stages"); defer { dir.cleanup() }
        let files = try nearCorpus(dir)
        var o = DedupOptions(); o.mode = .near; o.verify = verify
        let (_, r) = try run(o, files, dir, "o.jsonl")
        let removed = Set(r.removed.map(\.id))
        #expect(removed.filter { $0.hasPrefix("c") }.isEmpty)       // 30 of 150 words changed: J ~ 0.4
        #expect(removed.filter { $0.hasPrefix("b") }.count >= 19)   // 20 near copies
        #expect(removed.filter { $0.hasPrefix("d") }.count == 9)    // case-only copies
    }

    @Test func badInputIsLocated() throws {
        let dir = TempDir("stages"); defer { dir.cleanup() }
        let a = try dir.file("a.jsonl", [jsonLine("1", "fine"), #"{"id":"2","body":"no text"}"#])
        #expect(throws: InputError.self) { _ = try run(DedupOptions(), [a], dir, "o.jsonl") }
        do { _ = try run(DedupOptions(), [a], dir, "o.jsonl") } catch let e as InputError {
            #expect(e.description.hasSuffix("a.jsonl:2: field 'text': required string field is missing"))
        }
        var skip = DedupOptions(); skip.policy = .skip
        let (out, r) = try run(skip, [a], dir, "s.jsonl")
        #expect(out == jsonLine("1", "fine") + "\n" && r.skipped == 1)
        let empty = try dir.file("e.jsonl", [])
        var near = DedupOptions(); near.mode = .near
        #expect(try run(near, [empty], dir, "e.out").1.documentsIn == 0)
    }
}

@Suite struct PIIAndUpsampleStageTests {
    @Test func piiTagAndRedactKeepOtherFields() throws {
        let dir = TempDir("stages"); defer { dir.cleanup() }
        let a = try dir.file("a.jsonl", [#"{"id":"1","text":"Ünï jane@example.com","n":1.0}"#])
        var o = PIIOptions(); o.action = .tag
        let out = try dir.out("t.jsonl")
        _ = try PIIStage(options: o).run(inputs: [a], output: out)
        try out.commit()
        #expect(try dir.read("t.jsonl") == #"{"id":"1","text":"Ünï jane@example.com","n":1.0,"pii":[{"type":"email","start":4,"end":20}]}"# + "\n")
        o.action = .redact
        let out2 = try dir.out("r.jsonl")
        let r = try PIIStage(options: o).run(inputs: [a], output: out2)
        try out2.commit()
        #expect(try dir.read("r.jsonl") == #"{"id":"1","text":"Ünï <EMAIL>","n":1.0}"# + "\n")
        #expect(r.spans[.email] == 1)
    }

    @Test func upsampleIsDeterministicInterleavedAndCounted() throws {
        let dir = TempDir("stages"); defer { dir.cleanup() }
        var lines: [String] = []
        for i in 0..<400 { lines.append(#"{"id":"w\#(i)","text":"wiki \#(i)","source":"wiki"}"#) }
        for i in 0..<400 { lines.append(#"{"id":"c\#(i)","text":"web \#(i)","source":"web"}"#) }
        let a = try dir.file("a.jsonl", lines)
        var o = UpsampleOptions(); o.weights = ["wiki": 2.5, "web": 0.5]; o.seed = 7
        func go(_ name: String) throws -> (String, UpsampleReport) {
            let out = try dir.out(name)
            let r = try UpsampleStage(options: o).run(inputs: [a], output: out)
            try out.commit()
            return (try dir.read(name), r)
        }
        let (x, r) = try go("x.jsonl")
        let (y, _) = try go("y.jsonl")
        #expect(x == y)
        let wiki = r.after["wiki"]!.documents, web = r.after["web"]!.documents
        #expect(wiki >= 800 + 150 && wiki <= 800 + 250)   // 2 copies each + about half a third
        #expect(web >= 150 && web <= 250)
        // No two adjacent lines are copies of the same document.
        let ids = x.split(separator: "\n").map { l -> String in
            let s = l.split(separator: "\"")[3]
            return String(s.split(separator: "#")[0])
        }
        #expect(zip(ids, ids.dropFirst()).allSatisfy { $0 != $1 })
        #expect(x.contains(#""id":"w0#2""#))
    }

    @Test func byScoreMultipliesWeights() {
        var o = UpsampleOptions(); o.scoreField = "s"; o.scoreAbove = 0.8; o.scoreFactor = 3
        #expect(o.weight(source: "x", score: 0.9) == 3 && o.weight(source: "x", score: 0.5) == 1)
        #expect(o.copies(weight: 2, id: "a") == 2 && o.copies(weight: 0, id: "a") == 0)
    }
}

@Suite struct ClassifierTests {
    @Test func learnsASeparableSplitAndRoundTrips() throws {
        let factual = syntheticDocuments(200, words: 60, seed: 3).map { $0 + " century population located founded" }
        let web = syntheticDocuments(200, words: 60, seed: 4).map { $0 + " click buy now free shipping" }
        let f = ClassifierFeatures(dimBits: 14, ngrams: 2)
        let ex = factual.map { (f.indices($0), true) } + web.map { (f.indices($0), false) }
        let m = ClassifierTrainer().train(features: f, examples: ex)
        #expect(ClassifierTrainer.evaluate(m, ex).accuracy > 0.98)
        let back = try ClassifierModel(bytes: m.serialized(), name: "m")
        #expect(back == m)
        var bad = m.serialized(); bad[30] ^= 1
        #expect(throws: InputError.self) { _ = try ClassifierModel(bytes: bad, name: "m") }
        #expect(throws: InputError.self) { _ = try ClassifierModel(bytes: Array(bad[0..<50]), name: "m") }
        #expect(ClassifierTrainer().train(features: f, examples: ex) == m)  // deterministic
    }
}

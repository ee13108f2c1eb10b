import Testing
import SpindleIO
@testable import SpindleStages
import SpindleTestSupport

/// Hybrid verification: pairs whose estimate falls in the +-3 sigma band around the threshold are decided
/// by exact Jaccard, the others by the estimate.
@Suite struct DedupVerifyTests {
    @Test func theBandIsThreeStandardErrorsAroundTheThreshold() {
        let v = PairVerifier(mode: .hybrid, threshold: 0.8, numPerm: 128)
        let sigma = (0.8 * 0.2 / 128.0).squareRoot()
        #expect(abs(sigma - 0.035355) < 1e-5)
        #expect(abs(v.lower - (0.8 - 3 * sigma)) < 1e-12 && abs(v.upper - (0.8 + 3 * sigma)) < 1e-12)
        #expect(v.decide(0.91) == .duplicate && v.decide(1) == .duplicate)
        #expect(v.decide(0.9) == .needsExact && v.decide(0.8) == .needsExact && v.decide(0.7) == .needsExact)
        #expect(v.decide(0.69) == .distinct)
        #expect(PairVerifier(mode: .exact, threshold: 0.8, numPerm: 128).decide(1) == .needsExact)
        let e = PairVerifier(mode: .estimate, threshold: 0.8, numPerm: 128, margin: 0.02)
        #expect(e.decide(0.83) == .duplicate && e.decide(0.81) == .distinct)
    }

    struct Pair { var a: String; var b: String; var exact: Double; var estimate: Double }

    /// Pairs of a base document and an edit whose exact Jaccard lies in `range` and whose estimate is
    /// in the ambiguous band and satisfies `estimateOK`, found over fixed seeds.
    static func pairs(exact range: ClosedRange<Double>, count: Int, estimateOK: (Double, Double) -> Bool) -> [Pair] {
        let sh = Shingler(n: 5)
        var pipe = MinHashPipeline()
        let band = PairVerifier(mode: .hybrid, threshold: 0.8, numPerm: 128)
        var out: [Pair] = []
        let bases = syntheticDocuments(400, words: 160, seed: 77)
        for (i, base) in bases.enumerated() where out.count < count {
            for k in 3...5 {
                let edit = substitute(base, k, seed: UInt64(7000 + 10 * i + k))
                let j = Shingler.jaccard(sh.shingleSet(base), sh.shingleSet(edit))
                let e = MinHasher.estimate(pipe.signature(of: base), pipe.signature(of: edit))
                if range.contains(j) && band.decide(e) == .needsExact && estimateOK(j, e) {
                    out.append(Pair(a: base, b: edit, exact: j, estimate: e)); break
                }
            }
        }
        return out
    }

    func run(_ pairs: [Pair], verify: VerifyMode, _ dir: TempDir) throws -> DedupReport {
        var lines: [String] = []
        for (i, p) in pairs.enumerated() { lines += [jsonLine("a\(i)", p.a), jsonLine("b\(i)", p.b)] }
        let f = try dir.file("pairs-\(verify.rawValue).jsonl", lines)
        var o = DedupOptions(); o.mode = .near; o.verify = verify
        let out = try dir.out("o-\(verify.rawValue).jsonl")
        let r = try DedupStage(options: o).run(inputs: [f], output: out)
        try out.commit()
        return r
    }

    /// Just above the threshold (exact J in [0.80, 0.83]) with an estimate under threshold + margin: the
    /// estimate alone keeps both, hybrid removes the copy with the exact Jaccard as similarity.
    @Test func aPairJustAboveTheThresholdIsRemovedByExactJaccard() throws {
        let ps = Self.pairs(exact: 0.80...0.83, count: 6) { _, e in e < 0.82 }
        try #require(ps.count >= 3)
        let dir = TempDir("verify"); defer { dir.cleanup() }
        let h = try run(ps, verify: .hybrid, dir)
        #expect(h.removed.count == ps.count)
        for x in h.removed {
            let i = Int(x.id.dropFirst())!
            #expect(x.exact && x.similarity == ps[i].exact && x.duplicateOf == "a\(i)")
        }
        #expect(h.exactPairs >= ps.count && h.exactDocuments >= 2 * ps.count)
        #expect(try run(ps, verify: .estimate, dir).removed.isEmpty)
    }

    /// Just below it (exact J in [0.76, 0.80)) with an estimate at or over threshold + margin: the estimate
    /// alone removes the copy (a witness under the threshold), hybrid keeps both.
    @Test func aPairJustBelowTheThresholdIsKeptByExactJaccard() throws {
        let ps = Self.pairs(exact: 0.76...0.7999, count: 6) { _, e in e >= 0.82 }
        try #require(ps.count >= 3)
        let dir = TempDir("verify"); defer { dir.cleanup() }
        let h = try run(ps, verify: .hybrid, dir)
        #expect(h.removed.isEmpty && h.exactPairs >= ps.count)
        #expect(try run(ps, verify: .estimate, dir).removed.count == ps.count)
        #expect(try run(ps, verify: .exact, dir).removed.isEmpty)
    }

    /// Outside the band nothing is read again: exact copies are decided by the estimate (1.0).
    @Test func copiesOutsideTheBandNeedNoSecondRead() throws {
        let dir = TempDir("verify"); defer { dir.cleanup() }
        let docs = syntheticDocuments(10, words: 160, seed: 5)
        let f = try dir.file("copies.jsonl", docs.enumerated().flatMap { [jsonLine("a\($0)", $1), jsonLine("b\($0)", $1.uppercased())] })
        var o = DedupOptions(); o.mode = .near
        let out = try dir.out("o.jsonl")
        let r = try DedupStage(options: o).run(inputs: [f], output: out)
        #expect(r.removed.count == 10 && r.removed.allSatisfy { !$0.exact && $0.similarity == 1 })
        #expect(r.exactPairs == 0 && r.exactDocuments == 0)
    }
}

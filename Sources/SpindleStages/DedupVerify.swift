// Verification of near-duplicate candidate pairs: which pairs the MinHash estimate decides and which
// are settled by the exact Jaccard of the two documents' shingle sets.
//
// The estimate of a pair with Jaccard J is the fraction of k equal signature positions, a binomial
// proportion with standard error sigma(J) = sqrt(J (1 - J) / k). At the threshold t that is
// sigma_t = sqrt(t (1 - t) / k): 0.0354 for t = 0.8 and k = 128.
//
// --verify hybrid (default): a pair whose estimate is at least t + z sigma_t is a duplicate (similarity =
//   the estimate), one under t - z sigma_t is not, and only pairs in the band between are verified
//   exactly (similarity = exact Jaccard). z = 3: a pair on the wrong side of t is decided by the
//   estimate with probability ~0.13% at worst (J at t), and far less for J away from it. At t = 0.8,
//   k = 128 the band is [0.694, 0.906).
// --verify exact: every candidate pair is verified exactly.
// --verify estimate: every pair is decided by the estimate, accepted at t + margin.
//
// Exact shingle sets are computed in a second pass over the input, ONLY for the documents of pairs that
// need them, so memory grows with the ambiguous documents, not with the corpus.

import SpindleIO
#if canImport(Glibc)
import Glibc
#endif

/// How candidates are verified before two documents are joined.
public enum VerifyMode: String, Sendable, Codable, CaseIterable {
    /// Estimate outside the ambiguous band around the threshold, exact Jaccard inside it (the default).
    case hybrid
    /// Jaccard estimated from the signatures (fraction of equal positions), accepted at threshold + margin.
    case estimate
    /// Exact Jaccard of the two documents' shingle sets for every candidate pair.
    case exact
}

/// What the estimate says about one candidate pair.
public enum PairDecision: Equatable, Sendable {
    case duplicate, distinct, needsExact
}

/// The decision rule for one verification mode, threshold and signature length.
public struct PairVerifier: Sendable, Equatable {
    public let mode: VerifyMode
    public let threshold: Double
    /// Estimates at or above `upper` are duplicates; under `lower` distinct; between, exact (hybrid).
    public let lower: Double
    public let upper: Double
    public static let defaultSigmas = 3.0

    /// Standard error of the estimate at the threshold: sqrt(t (1 - t) / numPerm).
    public static func standardError(threshold t: Double, numPerm: Int) -> Double {
        (t * (1 - t) / Double(max(1, numPerm))).squareRoot()
    }

    public init(mode: VerifyMode, threshold t: Double, numPerm: Int, margin: Double = NearDupIndex.defaultEstimateMargin,
                sigmas: Double = PairVerifier.defaultSigmas) {
        self.mode = mode; threshold = t
        switch mode {
        case .estimate: lower = t + margin; upper = t + margin
        case .exact: lower = -.infinity; upper = .infinity
        case .hybrid:
            let w = sigmas * Self.standardError(threshold: t, numPerm: numPerm)
            lower = t - w; upper = t + w
        }
    }

    @inline(__always) public func decide(_ estimate: Double) -> PairDecision {
        estimate >= upper ? .duplicate : estimate < lower ? .distinct : .needsExact
    }

    /// The ambiguous band for reports: [lower, upper), or nil when the mode has none.
    public var band: (Double, Double)? {
        switch mode {
        case .hybrid: (lower, upper)
        case .exact: (0, .infinity)
        case .estimate: nil
        }
    }
}

/// Candidate pairs left to exact verification: (a, b) with a < b, as a << 32 | b.
public struct ExactPairs: Sendable {
    public private(set) var pairs: [UInt64] = []
    var compactedAt = 0

    public init() {}

    public mutating func add(_ a: Int, _ b: Int) {
        pairs.append(UInt64(min(a, b)) << 32 | UInt64(max(a, b)))
        // A pair met in several buckets is listed once per bucket: fold repeats as the list grows.
        if pairs.count > 2 * compactedAt + (1 << 20) { NearDupIndex.sortUnique(&pairs); compactedAt = pairs.count }
    }

    public mutating func finish() { NearDupIndex.sortUnique(&pairs) }

    public var isEmpty: Bool { pairs.isEmpty }

    /// The documents that need shingle sets, ascending (after `finish`).
    public var documents: [Int] {
        var d: [UInt64] = []
        d.reserveCapacity(pairs.count * 2)
        for p in pairs { d.append(p >> 32); d.append(p & 0xFFFF_FFFF) }
        NearDupIndex.sortUnique(&d)
        return d.map { Int($0) }
    }

    /// The pairs whose exact Jaccard reaches `threshold`, as edges. `slot[doc]` indexes `sets`.
    public func edges(threshold: Double, sets: [[UInt64]], slot: (Int) -> Int) -> [VerifiedEdge] {
        var out: [VerifiedEdge] = []
        for p in pairs {
            let a = Int(p >> 32), b = Int(p & 0xFFFF_FFFF)
            let s = Shingler.jaccard(sets[slot(a)], sets[slot(b)])
            if s >= threshold { out.append(VerifiedEdge(a, b, s, exact: true)) }
        }
        return out
    }
}

/// The second pass of exact verification: reads `paths` again and returns, by slot, the shingle sets of
/// the records `want(name, line)` gives a slot (`name` as the first pass saw it: a spool of stdin is
/// "-"). Only those lines are parsed; the others are skipped as raw bytes, so the pass costs little more
/// than reading the input (measured: the full JSON parse of every record was most of hybrid's extra CPU).
/// Throws when a wanted line is gone or no longer a record (the input changed between the reads).
public func exactShingleSets(paths: [String], slots: Int, textField: String, ngram: Int,
                             want: (String, Int) -> Int?) throws -> [[UInt64]] {
    var sets = [[UInt64]](repeating: [], count: slots)
    if slots == 0 { return sets }
    var pipe = MinHashPipeline(ngram: ngram, numPerm: 8)
    var text: [UInt8] = []
    var found = 0
    for path in paths {
        let name = StageSpool.isSpool(path) ? "-" : path
        let reader = try LineReader(path: path == "-" ? nil : path)
        while let line = try reader.next() {
            let number = line.number
            guard let s = want(name, number) else { continue }
            do { try recordText(line.bytes, field: textField, into: &text) } catch let error as InputError {
                throw error.at(file: reader.name, line: number)
            }
            sets[s] = text.withUnsafeBufferPointer { pipe.shingleSet(of: $0) }
            found += 1
        }
    }
    guard found == slots else {
        throw InputError(.invalidValue, file: paths.joined(separator: ","), field: "verify",
                         "\(slots - found) of the \(slots) records to verify exactly are missing on the second read (was the input changed?)")
    }
    return sets
}

/// The text field of one JSONL line, into `text`.
private func recordText(_ bytes: UnsafeBufferPointer<UInt8>, field: String, into text: inout [UInt8]) throws {
    let json = try JSONLine(bytes)
    try StageText.text(of: json, field: field, into: &text)
}

extension DedupClusterReducer {
    /// Verifies the ambiguous pairs exactly: reads each PATH named by their documents again (or its
    /// `sources` replacement), computes the shingle sets of those records only, and adds the pairs that
    /// reach the threshold to the graph.
    mutating func verifyAmbiguous() throws {
        ambiguous.finish()
        exactPairs = ambiguous.pairs.count
        if ambiguous.isEmpty { return }
        let docs = ambiguous.documents
        exactDocuments = docs.count
        var slot = [Int32](repeating: -1, count: nodes.count)
        var byPath: [String: [Int: Int]] = [:]   // path -> line -> slot
        for (k, d) in docs.enumerated() {
            slot[d] = Int32(k)
            byPath[locations[d].path, default: [:]][locations[d].line] = k
        }
        var sets = [[UInt64]](repeating: [], count: docs.count)
        for (path, lines) in byPath.sorted(by: { $0.key < $1.key }) {
            let file = sources[path] ?? path
            if file == "-" {
                throw InputError(.invalidValue, file: "-", field: "verify",
                                 "\(lines.count) documents read from stdin by `dedup signatures` need exact verification, "
                                 + "which reads them again: run `signatures` on the files, or `clusters --verify estimate`")
            }
            // Slots local to this file, so the second read can check that it found every one.
            var local: [Int: Int] = [:]
            var global: [Int] = []
            for (line, k) in lines.sorted(by: { $0.key < $1.key }) { local[line] = global.count; global.append(k) }
            let part = try exactShingleSets(paths: [file], slots: global.count, textField: textField, ngram: ngram) { _, line in local[line] }
            for (j, k) in global.enumerated() { sets[k] = part[j] }
        }
        edgeList += ambiguous.edges(threshold: threshold, sets: sets) { Int(slot[$0]) }
        ambiguous = ExactPairs()
    }
}

// Near-duplicate clustering: LSH band buckets -> candidate pairs -> verified-similarity graph -> the
// kept set (DedupSelection.swift: greedy dominating set, or first-seen) with a kept witness per removal.
//
// The candidate rule is a pure function of each bucket's members, so the graph does not depend on the
// order buckets are visited in. That is what lets the one-shot command and the three-phase map/sort/reduce
// mode (`dedup signatures | sort | dedup clusters`) keep exactly the same documents:
//   members of a bucket sorted by document order; member j is a candidate with members 0, 1, ...
//   min(j, maxComparisons) - 1 (the bucket's earliest members, so a large bucket of copies stays a star
//   around its first documents); every candidate pair is verified and, when it verifies, is an edge.

/// Which member of a duplicate cluster survives.
public enum KeepRule: Sendable, Equatable {
    case first, longest
    /// The largest numeric value of this field (missing counts as -infinity); ties keep the first.
    case field(String)

    public init(_ s: String) {
        switch s {
        case "first": self = .first
        case "longest": self = .longest
        default: self = .field(s)
        }
    }
    public var name: String {
        switch self { case .first: "first"; case .longest: "longest"; case .field(let f): f }
    }
}

/// One removed document: its index, the kept document that witnesses it (a neighbour in the verified
/// graph) and their verified similarity.
public struct Removal: Sendable, Equatable {
    public var doc: Int
    public var keptDoc: Int
    public var similarity: Double
    /// `similarity` is the exact shingle Jaccard (else the MinHash estimate).
    public var exact = false
}

/// A bucket entry: band key and document index (in canonical order).
public struct BandEntry: Sendable, Comparable {
    public var key: UInt64
    public var doc: UInt32
    public init(key: UInt64, doc: UInt32) { self.key = key; self.doc = doc }
    public static func < (a: BandEntry, b: BandEntry) -> Bool { (a.key, a.doc) < (b.key, b.doc) }
}

/// The candidate rule over one bucket (members in document order): `pair(k, j)` for every member j and
/// each of the first min(j, maxComparisons) members k before it.
@inline(__always)
public func bucketCandidates(_ members: [Int], maxComparisons: Int, pair: (Int, Int) -> Void) {
    if members.count < 2 { return }
    for j in 1..<members.count {
        for k in 0..<min(j, maxComparisons) { pair(members[k], members[j]) }
    }
}

/// Exact mode with --keep longest|FIELD: one keeper per cluster of identical documents (similarity 1). `length[d]` and `score[d]` feed the keep rule.
public func chooseKeepers(_ uf: inout UnionFind, keep: KeepRule, length: [Int], score: [Double],
                          edgeSimilarity: [Int: Double]) -> [Removal] {
    let n = uf.count
    var keeper = [Int](repeating: -1, count: n)  // root -> keeper; documents visited in order
    for d in 0..<n {
        let r = uf.find(d)
        let cur = keeper[r]
        if cur == -1 { keeper[r] = d; continue }
        switch keep {
        case .first: break
        case .longest: if length[d] > length[cur] { keeper[r] = d }
        case .field: if score[d] > score[cur] { keeper[r] = d }
        }
    }
    var out: [Removal] = []
    for d in 0..<n {
        let k = keeper[uf.find(d)]
        if k != d { out.append(Removal(doc: d, keptDoc: k, similarity: edgeSimilarity[d] ?? 1)) }
    }
    return out
}

/// What near-duplicate clustering found.
public struct NearClusters: Sendable {
    public var removals: [Removal] = []
    /// Distinct candidate pairs verified.
    public var comparisons = 0
    /// Distinct verified edges.
    public var edges = 0
    /// Candidate pairs verified by exact Jaccard, and the documents whose shingle sets that needed.
    public var exactPairs = 0
    public var exactDocuments = 0
}

/// In-memory near-duplicate index for the one-shot command.
public struct NearDupIndex {
    public let lsh: LSHParameters
    public let numPerm: Int
    public let threshold: Double
    public let verify: VerifyMode
    public var maxComparisons = 64
    /// Estimated verification accepts est >= threshold + margin: the 128-sample estimate has a standard
    /// error of ~0.035 at J = 0.8, and pairs just under the threshold outnumber those just over it.
    public var estimateMargin = NearDupIndex.defaultEstimateMargin
    public static let defaultEstimateMargin = 0.02
    /// Hybrid verification: half-width of the ambiguous band, in standard errors of the estimate.
    public var sigmas = PairVerifier.defaultSigmas
    public private(set) var signatures: [UInt32] = []   // numPerm per document
    public private(set) var entries: [BandEntry] = []
    public private(set) var shingleSets: [[UInt64]] = []
    public private(set) var lengths: [Int] = []
    public private(set) var scores: [Double] = []
    var keys: [UInt64] = []

    public init(lsh: LSHParameters, numPerm: Int, threshold: Double, verify: VerifyMode) {
        self.lsh = lsh; self.numPerm = numPerm; self.threshold = threshold; self.verify = verify
    }

    public var count: Int { lengths.count }

    /// Bytes held per document (signature, band entries, length and score), excluding exact-mode sets.
    public static func bytesPerDocument(numPerm: Int, bands: Int) -> Int {
        numPerm * 4 + bands * MemoryLayout<BandEntry>.stride + 16
    }

    /// Add a document (in canonical order); returns its index.
    @discardableResult
    public mutating func add(signature sig: UnsafeBufferPointer<UInt32>, shingles: [UInt64]?, length: Int, score: Double) -> Int {
        let d = lengths.count
        signatures.append(contentsOf: sig)
        lsh.bandKeys(sig, into: &keys)
        for k in keys { entries.append(BandEntry(key: k, doc: UInt32(d))) }
        if let s = shingles { shingleSets.append(Shingler.sortedUnique(s)) }
        lengths.append(length)
        scores.append(score)
        return d
    }

    /// The decision rule of this index (`verify`, threshold, margin, `sigmas`).
    public var verifier: PairVerifier {
        PairVerifier(mode: verify, threshold: threshold, numPerm: numPerm, margin: estimateMargin, sigmas: sigmas)
    }

    /// MinHash estimate of two documents' Jaccard.
    public func estimate(_ x: Int, _ y: Int) -> Double {
        signatures.withUnsafeBufferPointer { p in
            MinHasher.estimate(UnsafeBufferPointer(rebasing: p[(x * numPerm)..<((x + 1) * numPerm)]),
                               UnsafeBufferPointer(rebasing: p[(y * numPerm)..<((y + 1) * numPerm)]))
        }
    }

    /// The distinct candidate pairs (a < b, as a << 32 | b), ascending.
    public mutating func candidatePairs() -> [UInt64] {
        entries.sort()
        var pairs: [UInt64] = []
        var compacted = 0
        var members: [Int] = []
        var i = 0
        while i < entries.count {
            var j = i + 1
            while j < entries.count && entries[j].key == entries[i].key { j += 1 }
            if j - i > 1 {
                members.removeAll(keepingCapacity: true)
                for e in entries[i..<j] { members.append(Int(e.doc)) }
                bucketCandidates(members, maxComparisons: maxComparisons) { a, b in pairs.append(UInt64(a) << 32 | UInt64(b)) }
                // A pair sharing several bands is listed once per band: fold repeats as the list grows, so
                // it stays at most ~64 pairs per document even for large buckets of copies.
                if pairs.count > 2 * compacted + (1 << 20) { Self.sortUnique(&pairs); compacted = pairs.count }
            }
            i = j
        }
        Self.sortUnique(&pairs)
        return pairs
    }

    /// Candidate pairs, verified into the similarity graph, then the kept set. Pairs the estimate cannot
    /// decide are verified exactly with the shingle sets `exactSets(documents)` returns (one per listed
    /// document, in order). Returns the removals sorted by document index and the counts.
    public mutating func clusters(keep: KeepRule, select: SelectMode = .greedy,
                                  exactSets: ([Int]) throws -> [[UInt64]]) rethrows -> NearClusters {
        let pairs = candidatePairs()
        let rule = verifier
        var edges: [VerifiedEdge] = []
        var ambiguous = ExactPairs()
        for p in pairs {
            let a = Int(p >> 32), b = Int(p & 0xFFFF_FFFF)
            let e = estimate(a, b)
            switch rule.decide(e) {
            case .duplicate: edges.append(VerifiedEdge(a, b, e))
            case .distinct: break
            case .needsExact: ambiguous.add(a, b)
            }
        }
        ambiguous.finish()
        var result = NearClusters(comparisons: pairs.count, exactPairs: ambiguous.pairs.count)
        if !ambiguous.isEmpty {
            let docs = ambiguous.documents
            var slot = [Int32](repeating: -1, count: count)
            for (k, d) in docs.enumerated() { slot[d] = Int32(k) }
            let sets = try exactSets(docs)
            precondition(sets.count == docs.count, "dedup: exact verification needs one shingle set per document")
            edges += ambiguous.edges(threshold: threshold, sets: sets) { Int(slot[$0]) }
            result.exactDocuments = docs.count
        }
        let graph = SimilarityGraph(count: count, edges: edges)
        result.removals = selectKeepers(graph, select: select, keep: keep, length: lengths, score: scores)
        result.edges = graph.edgeCount
        return result
    }

    /// As above, with the shingle sets given to `add` (tests and small in-memory runs).
    public mutating func clusters(keep: KeepRule, select: SelectMode = .greedy) -> NearClusters {
        let stored = shingleSets, n = count
        return clusters(keep: keep, select: select) { docs in
            precondition(stored.count == n, "dedup: exact verification needs the shingles of every document given to add")
            return docs.map { stored[$0] }
        }
    }

    static func sortUnique(_ a: inout [UInt64]) {
        a.sort()
        var w = 0
        for r in 0..<a.count where w == 0 || a[w - 1] != a[r] { a[w] = a[r]; w += 1 }
        a.removeLast(a.count - w)
    }
}

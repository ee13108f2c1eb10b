// Near-duplicate clustering: LSH band buckets -> verified edges -> union-find clusters -> one keeper each.
//
// The edge rule is a pure function of each bucket's members, so the partition does not depend on the
// order buckets are visited in. That is what lets the one-shot command and the three-phase map/sort/reduce
// mode (`dedup signatures | sort | dedup clusters`) keep exactly the same documents:
//   members of a bucket sorted by document order; member j is compared with members 0, 1, ... j-1 in
//   turn (at most `maxComparisons` of them) and joined to the first one that verifies.

/// How candidates are verified before two documents are joined.
public enum VerifyMode: String, Sendable, Codable {
    /// Jaccard estimated from the signatures (fraction of equal positions).
    case estimate
    /// Exact Jaccard of the two documents' shingle sets (kept in memory: ~8 bytes per word).
    case exact
}

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

/// One removed document: its index, the index of its cluster's keeper, and the verified similarity of
/// the edge that joined it (to the member it matched, not necessarily the keeper).
public struct Removal: Sendable, Equatable {
    public var doc: Int
    public var keptDoc: Int
    public var similarity: Double
}

/// A bucket entry: band key and document index (in canonical order).
public struct BandEntry: Sendable, Comparable {
    public var key: UInt64
    public var doc: UInt32
    public init(key: UInt64, doc: UInt32) { self.key = key; self.doc = doc }
    public static func < (a: BandEntry, b: BandEntry) -> Bool { (a.key, a.doc) < (b.key, b.doc) }
}

/// The verified-edge rule over one bucket. `verify(k, j)` returns the similarity if it verifies.
public func bucketEdges(_ members: [Int], maxComparisons: Int,
                        verify: (Int, Int) -> Double?, edge: (Int, Int, Double) -> Void) {
    if members.count < 2 { return }
    for j in 1..<members.count {
        for k in 0..<min(j, maxComparisons) {
            if let s = verify(members[k], members[j]) { edge(members[k], members[j], s); break }
        }
    }
}

/// Choose keepers in union-find clusters and list removals. `length[d]` and `score[d]` feed the keep rule.
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
        if verify == .exact { shingleSets.append(Shingler.sortedUnique(shingles ?? [])) }
        lengths.append(length)
        scores.append(score)
        return d
    }

    /// Similarity of two documents if it reaches the threshold.
    public func verified(_ x: Int, _ y: Int) -> Double? {
        let s: Double
        switch verify {
        case .estimate:
            s = signatures.withUnsafeBufferPointer { p in
                MinHasher.estimate(UnsafeBufferPointer(rebasing: p[(x * numPerm)..<((x + 1) * numPerm)]),
                                   UnsafeBufferPointer(rebasing: p[(y * numPerm)..<((y + 1) * numPerm)]))
            }
        case .exact:
            s = Shingler.jaccard(shingleSets[x], shingleSets[y])
        }
        return s >= threshold + (verify == .estimate ? estimateMargin : 0) ? s : nil
    }

    /// Cluster and choose keepers. Returns removals sorted by document index and the candidate-pair count.
    public mutating func clusters(keep: KeepRule) -> (removals: [Removal], comparisons: Int, edges: Int) {
        entries.sort()
        var uf = UnionFind(count: count)
        var sim: [Int: Double] = [:]
        var comparisons = 0, edges = 0
        var cache: [UInt64: Double?] = [:]
        var i = 0
        var members: [Int] = []
        while i < entries.count {
            var j = i + 1
            while j < entries.count && entries[j].key == entries[i].key { j += 1 }
            if j - i > 1 {
                members.removeAll(keepingCapacity: true)
                for e in entries[i..<j] { members.append(Int(e.doc)) }
                bucketEdges(members, maxComparisons: maxComparisons, verify: { a, b in
                    let pk = UInt64(a) << 32 | UInt64(b)
                    if let c = cache[pk] { return c }
                    comparisons += 1
                    let v = verified(a, b)
                    cache[pk] = v
                    return v
                }, edge: { a, b, s in
                    edges += 1
                    uf.union(a, b)
                    if sim[a] == nil { sim[a] = s }
                    if sim[b] == nil { sim[b] = s }
                })
            }
            i = j
        }
        let removals = chooseKeepers(&uf, keep: keep, length: lengths, score: scores, edgeSimilarity: sim)
        return (removals, comparisons, edges)
    }
}

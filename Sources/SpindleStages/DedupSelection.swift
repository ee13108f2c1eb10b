// Which near-duplicates survive, given the verified-similarity graph (an edge joins two documents whose
// verified similarity reached the threshold).
//
// The guarantee, for both selection modes: every removed document has a KEPT neighbour in the graph, and
// the removal names the kept neighbour of highest similarity (ties: the earlier document) with that
// similarity. Nothing is ever removed through a chain of removed documents.
//
// - greedy (default): within each connected component, repeatedly keep the document whose closed
//   neighbourhood holds the most documents not yet covered by a kept one (the greedy dominating set);
//   ties go to the --keep rule (first: the earlier document; longest; the larger numeric FIELD; then the
//   earlier document). Every document not kept is covered, hence removed with a kept witness.
// - first-seen: documents in input order; one is removed iff an earlier KEPT document is its neighbour
//   (the semantics of a streaming deduper that never revisits a decision).
//
// Both are pure functions of the graph, the lengths and the scores: the one-shot run, the spill path and
// the three-phase reduce give identical sets when they build the same graph.

/// How the kept set is chosen among verified near-duplicates.
public enum SelectMode: String, Sendable, CaseIterable {
    case greedy
    case firstSeen = "first-seen"
}

/// A verified pair: documents `a` < `b` and their verified similarity.
public struct VerifiedEdge: Sendable, Equatable {
    public var a: Int32
    public var b: Int32
    public var similarity: Double
    /// The similarity is the exact shingle Jaccard (else the MinHash estimate).
    public var exact: Bool
    public init(_ a: Int, _ b: Int, _ similarity: Double, exact: Bool = false) {
        self.a = Int32(min(a, b)); self.b = Int32(max(a, b)); self.similarity = similarity; self.exact = exact
    }
}

/// The verified-similarity graph in compressed adjacency form (neighbours of each node sorted ascending).
public struct SimilarityGraph: Sendable {
    public let count: Int
    var offsets: [Int]
    var neighbours: [Int32]
    var similarities: [Double]
    var exact: [Bool]

    /// Builds the graph over `count` nodes; repeated pairs (the same pair met in several buckets) count once.
    public init(count: Int, edges: [VerifiedEdge]) {
        self.count = count
        var e = edges
        e.sort { ($0.a, $0.b) < ($1.a, $1.b) }
        var unique: [VerifiedEdge] = []
        unique.reserveCapacity(e.count)
        for x in e where unique.last.map({ $0.a != x.a || $0.b != x.b }) ?? true { unique.append(x) }
        var degree = [Int](repeating: 0, count: count + 1)
        for x in unique { degree[Int(x.a) + 1] += 1; degree[Int(x.b) + 1] += 1 }
        for i in 0..<count { degree[i + 1] += degree[i] }
        offsets = degree
        var fill = Array(degree.dropLast())
        neighbours = [Int32](repeating: 0, count: unique.count * 2)
        similarities = [Double](repeating: 0, count: unique.count * 2)
        exact = [Bool](repeating: false, count: unique.count * 2)
        // Edges are sorted by (a, b): each node first gets its smaller neighbours (as b, ascending a),
        // then its larger ones (as a, ascending b), so every list comes out ascending.
        for x in unique {
            let b = Int(x.b)
            neighbours[fill[b]] = x.a; similarities[fill[b]] = x.similarity; exact[fill[b]] = x.exact; fill[b] += 1
        }
        for x in unique {
            let a = Int(x.a)
            neighbours[fill[a]] = x.b; similarities[fill[a]] = x.similarity; exact[fill[a]] = x.exact; fill[a] += 1
        }
    }

    public var edgeCount: Int { neighbours.count / 2 }
    public func degree(_ v: Int) -> Int { offsets[v + 1] - offsets[v] }

    /// Calls `body(neighbour, similarity)` for each neighbour of `v`, ascending.
    @inline(__always) public func forEachNeighbour(_ v: Int, _ body: (Int, Double) -> Void) {
        for k in offsets[v]..<offsets[v + 1] { body(Int(neighbours[k]), similarities[k]) }
    }

    /// Similarity of the edge (v, w), or nil when they are not neighbours.
    /// Whether the edge (v, w) was verified exactly (false when not neighbours).
    public func isExact(_ v: Int, _ w: Int) -> Bool {
        guard let k = edgeSlot(v, w) else { return false }
        return exact[k]
    }

    func edgeSlot(_ v: Int, _ w: Int) -> Int? {
        var lo = offsets[v], hi = offsets[v + 1]
        while lo < hi {
            let m = (lo + hi) / 2
            if Int(neighbours[m]) < w { lo = m + 1 } else { hi = m }
        }
        return lo < offsets[v + 1] && Int(neighbours[lo]) == w ? lo : nil
    }

    public func similarity(_ v: Int, _ w: Int) -> Double? { edgeSlot(v, w).map { similarities[$0] } }
}

/// Orders documents for the keep rule: true when `x` should be kept rather than `y` at equal coverage.
@inline(__always)
func preferred(_ x: Int, _ y: Int, keep: KeepRule, length: [Int], score: [Double]) -> Bool {
    switch keep {
    case .first: break
    case .longest: if length[x] != length[y] { return length[x] > length[y] }
    case .field: if score[x] != score[y] { return score[x] > score[y] }
    }
    return x < y
}

/// The kept set and the removals (sorted by document) for `graph` under `select`.
public func selectKeepers(_ graph: SimilarityGraph, select: SelectMode, keep: KeepRule,
                          length: [Int], score: [Double]) -> [Removal] {
    let kept: [Bool]
    switch select {
    case .greedy: kept = greedyDominatingSet(graph, keep: keep, length: length, score: score)
    case .firstSeen: kept = firstSeenKept(graph)
    }
    var out: [Removal] = []
    for d in 0..<graph.count where !kept[d] {
        var best = -1, bestSim = -1.0
        graph.forEachNeighbour(d) { w, s in
            // Ascending w: ties keep the earlier one. First-seen names an earlier kept document.
            if kept[w] && s > bestSim && (select == .greedy || w < d) { best = w; bestSim = s }
        }
        precondition(best >= 0, "dedup: removed document \(d) has no kept neighbour")
        out.append(Removal(doc: d, keptDoc: best, similarity: bestSim, exact: graph.isExact(d, best)))
    }
    return out
}

/// First-seen: a document is kept unless an earlier kept document is its neighbour.
func firstSeenKept(_ graph: SimilarityGraph) -> [Bool] {
    var kept = [Bool](repeating: true, count: graph.count)
    for d in 0..<graph.count {
        var covered = false
        graph.forEachNeighbour(d) { w, _ in if w < d && kept[w] { covered = true } }
        kept[d] = !covered
    }
    return kept
}

/// Greedy dominating set with lazy gains: a max-heap on (uncovered closed-neighbourhood size, keep rule).
/// Gains only fall as documents get covered, so a popped entry whose gain is still current is the best.
func greedyDominatingSet(_ graph: SimilarityGraph, keep: KeepRule, length: [Int], score: [Double]) -> [Bool] {
    let n = graph.count
    var kept = [Bool](repeating: false, count: n)
    var covered = [Bool](repeating: false, count: n)
    var heap = GainHeap { a, b in
        a.gain != b.gain ? a.gain > b.gain : preferred(a.node, b.node, keep: keep, length: length, score: score)
    }
    for v in 0..<n {
        if graph.degree(v) == 0 { kept[v] = true; covered[v] = true } else { heap.push(.init(gain: graph.degree(v) + 1, node: v)) }
    }
    func gain(_ v: Int) -> Int {
        var g = covered[v] ? 0 : 1
        graph.forEachNeighbour(v) { w, _ in if !covered[w] { g += 1 } }
        return g
    }
    while let top = heap.pop() {
        let g = gain(top.node)
        if g == 0 { continue }
        if g != top.gain { heap.push(.init(gain: g, node: top.node)); continue }
        kept[top.node] = true
        covered[top.node] = true
        graph.forEachNeighbour(top.node) { w, _ in covered[w] = true }
    }
    return kept
}

/// A binary max-heap under a strict "comes first" order.
struct GainHeap {
    struct Entry { var gain: Int; var node: Int }
    var items: [Entry] = []
    let first: (Entry, Entry) -> Bool
    init(first: @escaping (Entry, Entry) -> Bool) { self.first = first }

    mutating func push(_ e: Entry) {
        items.append(e)
        var i = items.count - 1
        while i > 0 {
            let p = (i - 1) / 2
            if !first(items[i], items[p]) { break }
            items.swapAt(i, p); i = p
        }
    }

    mutating func pop() -> Entry? {
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        if items.isEmpty { return top }
        items[0] = last
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < items.count && first(items[l], items[m]) { m = l }
            if r < items.count && first(items[r], items[m]) { m = r }
            if m == i { break }
            items.swapAt(i, m); i = m
        }
        return top
    }
}

import SpindleIO
// LSH banding: b bands of r rows over a MinHash signature. Two documents whose Jaccard is J share at
// least one band with probability P(J) = 1 - (1 - J^r)^b, an S-curve whose steep part sits near
// (1/b)^(1/r). Bands and rows are chosen from the threshold by minimising weighted error areas.

#if canImport(Glibc)
import Glibc
#endif

/// Bands and rows for LSH, with the S-curve's odds.
public struct LSHParameters: Sendable, Equatable, Codable {
    public var bands: Int
    public var rows: Int

    public init(bands: Int, rows: Int) { self.bands = bands; self.rows = rows }

    /// Probability that a pair with Jaccard `j` shares at least one band.
    public func candidateProbability(_ j: Double) -> Double {
        1 - pow(1 - pow(j, Double(rows)), Double(bands))
    }

    /// The J where the S-curve is steepest, about (1/b)^(1/r).
    public var knee: Double { pow(1 / Double(bands), 1 / Double(rows)) }

    /// Area of P(J) below the threshold (false-positive mass) and of 1 - P(J) above it (false-negative mass).
    public func errorAreas(threshold t: Double) -> (falsePositive: Double, falseNegative: Double) {
        let steps = 400
        var fp = 0.0, fn = 0.0
        for i in 0..<steps {
            let x = t * (Double(i) + 0.5) / Double(steps)
            fp += candidateProbability(x) * t / Double(steps)
            let y = t + (1 - t) * (Double(i) + 0.5) / Double(steps)
            fn += (1 - candidateProbability(y)) * (1 - t) / Double(steps)
        }
        return (fp, fn)
    }

    /// Choose b x r <= numPerm minimising fpWeight * FP area + fnWeight * FN area (datasketch's rule).
    /// Spindle verifies every candidate, so a false positive costs one comparison while a false negative
    /// loses a duplicate: the default weights favour recall.
    public static func optimal(threshold: Double, numPerm: Int, fpWeight: Double = 0.1, fnWeight: Double = 0.9) -> LSHParameters {
        var best = LSHParameters(bands: 1, rows: numPerm)
        var bestCost = Double.infinity
        for b in 1...numPerm {
            let maxR = numPerm / b
            if maxR < 1 { break }
            for r in 1...maxR {
                let p = LSHParameters(bands: b, rows: r)
                let (fp, fn) = p.errorAreas(threshold: threshold)
                let cost = fpWeight * fp + fnWeight * fn
                if cost < bestCost - 1e-12 { bestCost = cost; best = p }
            }
        }
        return best
    }

    /// Human-readable summary: bands, rows, knee and the odds at and around the threshold.
    public func describe(threshold t: Double) -> String {
        let (fp, fn) = errorAreas(threshold: t)
        func f(_ x: Double) -> String { fixed(x, 3) }
        let lo = max(0, t - 0.1), hi = min(1, t + 0.05)
        return "lsh: \(bands) bands x \(rows) rows (knee J~\(f(knee))); P(candidate | J=\(f(lo)))=\(f(candidateProbability(lo))) "
            + "P(J=\(f(t)))=\(f(candidateProbability(t))) P(J=\(f(hi)))=\(f(candidateProbability(hi))); "
            + "false-negative odds at J=\(f(hi)): \(f(1 - candidateProbability(hi))); "
            + "FP area \(fixed(fp, 4)), FN area \(fixed(fn, 4))"
    }

    /// Band keys of a signature: one 64-bit hash per band (XXH64 of its rows, seeded by the band index).
    public func bandKeys(_ sig: UnsafeBufferPointer<UInt32>, into out: inout [UInt64]) {
        out.removeAll(keepingCapacity: true)
        let raw = UnsafeRawPointer(sig.baseAddress!)
        for band in 0..<bands {
            out.append(XXH64.hash(raw + band * rows * 4, count: rows * 4, seed: UInt64(band)))
        }
    }
}

/// Union-find over dense indices; the root of a set is always its smallest index, so the partition and
/// its representatives do not depend on the order unions are applied in.
public struct UnionFind: Sendable {
    var parent: [Int32]
    public init(count: Int) { parent = (0..<count).map { Int32($0) } }
    public mutating func find(_ x: Int) -> Int {
        var r = x
        while Int(parent[r]) != r { r = Int(parent[r]) }
        var c = x
        while Int(parent[c]) != r { let n = Int(parent[c]); parent[c] = Int32(r); c = n }
        return r
    }
    @discardableResult public mutating func union(_ x: Int, _ y: Int) -> Bool {
        let a = find(x), b = find(y)
        if a == b { return false }
        if a < b { parent[b] = Int32(a) } else { parent[a] = Int32(b) }
        return true
    }
    public var count: Int { parent.count }
}

/// `x` with `digits` decimals (no Foundation formatting in this target).
func fixed(_ x: Double, _ digits: Int) -> String {
    var m = 1.0
    for _ in 0..<digits { m *= 10 }
    let r = (abs(x) * m).rounded()
    let whole = Int(r / m), frac = Int(r) - whole * Int(m)
    var f = String(frac)
    while f.count < digits { f = "0" + f }
    return (x < 0 && r > 0 ? "-" : "") + "\(whole)" + (digits > 0 ? "." + f : "")
}

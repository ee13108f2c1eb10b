// A small linear factuality classifier: hashed word n-grams, logistic regression (LLaMA's pipeline
// chose pages with a linear classifier of Wikipedia-referenced pages against random ones).

import SpindleIO
#if canImport(Glibc)
import Glibc
#endif

/// Hashed word n-gram features of normalised text, binary and L2-normalised.
public struct ClassifierFeatures: Sendable {
    public let dim: Int
    public let ngrams: Int
    public init(dimBits: Int = 18, ngrams: Int = 2) {
        precondition(dimBits >= 4 && dimBits <= 26 && ngrams >= 1 && ngrams <= 3)
        dim = 1 << dimBits; self.ngrams = ngrams
    }
    init(dim: Int, ngrams: Int) { self.dim = dim; self.ngrams = ngrams }

    /// Sorted unique feature indices; each has value 1/sqrt(count).
    public func indices(_ text: UnsafeBufferPointer<UInt8>, scratch norm: inout [UInt8], words: inout [UInt64]) -> [Int32] {
        TextNormalizer.normalize(text, into: &norm)
        norm.withUnsafeBufferPointer { Shingler(n: 1).words($0, into: &words) }
        var idx: [Int32] = []
        idx.reserveCapacity(words.count * ngrams)
        let mask = UInt64(dim - 1)
        for i in 0..<words.count {
            var h = words[i]
            idx.append(Int32(truncatingIfNeeded: mix64(h) & mask))
            for n in 1..<ngrams where i + n < words.count {
                h = mix64(h &* 0x9E37_79B9_7F4A_7C15 &+ words[i + n])
                idx.append(Int32(truncatingIfNeeded: mix64(h ^ UInt64(n)) & mask))
            }
        }
        idx.sort()
        var out: [Int32] = []
        out.reserveCapacity(idx.count)
        for x in idx where out.last != x { out.append(x) }
        return out
    }

    public func indices(_ s: String) -> [Int32] {
        var n: [UInt8] = [], w: [UInt64] = []
        var c = s
        return c.withUTF8 { indices($0, scratch: &n, words: &w) }
    }
}

/// A trained model: weights over the hashed features plus a bias.
public struct ClassifierModel: Sendable, Equatable {
    public var features: ClassifierFeatures
    public var weights: [Float]
    public var bias: Float

    public static func == (a: ClassifierModel, b: ClassifierModel) -> Bool {
        a.features.dim == b.features.dim && a.features.ngrams == b.features.ngrams && a.weights == b.weights && a.bias == b.bias
    }

    public init(features: ClassifierFeatures) {
        self.features = features
        weights = [Float](repeating: 0, count: features.dim)
        bias = 0
    }

    /// Logit of a feature set.
    @inline(__always) public func logit(_ idx: [Int32]) -> Double {
        guard !idx.isEmpty else { return Double(bias) }
        var s: Float = 0
        for i in idx { s += weights[Int(i)] }
        return Double(s) / Double(idx.count).squareRoot() + Double(bias)
    }

    /// Probability that the text is from the factual (positive) class.
    public func probability(_ idx: [Int32]) -> Double { 1 / (1 + exp(-logit(idx))) }

    // File format (little-endian): "SPCL" magic, version u32 = 1, dim u32, ngrams u32, bias f32,
    // dim x f32 weights, XXH64 of everything before it (u64).
    static let magic: [UInt8] = Array("SPCL".utf8)

    public func serialized() -> [UInt8] {
        var out: [UInt8] = Self.magic
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        u32(1); u32(UInt32(features.dim)); u32(UInt32(features.ngrams)); u32(bias.bitPattern)
        out.reserveCapacity(out.count + weights.count * 4 + 8)
        for w in weights { u32(w.bitPattern) }
        let h = XXH64.hash(out)
        withUnsafeBytes(of: h.littleEndian) { out.append(contentsOf: $0) }
        return out
    }

    /// Reads a model file; malformed input is an error naming the file, never a crash.
    public init(bytes: [UInt8], name: String) throws {
        func bad(_ why: String) -> InputError { InputError(.format, file: name, "not a Spindle classifier model: \(why)") }
        guard bytes.count >= 28, Array(bytes[0..<4]) == Self.magic else { throw bad("missing SPCL magic") }
        func u32(_ o: Int) -> UInt32 {
            UInt32(bytes[o]) | UInt32(bytes[o + 1]) << 8 | UInt32(bytes[o + 2]) << 16 | UInt32(bytes[o + 3]) << 24
        }
        guard u32(4) == 1 else { throw bad("unsupported version \(u32(4))") }
        let dim = Int(u32(8)), ngrams = Int(u32(12))
        guard dim >= 16, dim <= 1 << 26, dim & (dim - 1) == 0, ngrams >= 1, ngrams <= 3 else { throw bad("bad header") }
        guard bytes.count == 20 + dim * 4 + 8 else { throw bad("size \(bytes.count) does not match dimension \(dim)") }
        let stored = (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[20 + dim * 4 + $1]) << (8 * UInt64($1)) }
        guard XXH64.hash(Array(bytes[0..<(20 + dim * 4)])) == stored else { throw bad("checksum mismatch (truncated or corrupted)") }
        features = ClassifierFeatures(dim: dim, ngrams: ngrams)
        bias = Float(bitPattern: u32(16))
        weights = (0..<dim).map { Float(bitPattern: u32(20 + 4 * $0)) }
    }
}

/// Logistic-regression training by SGD (class-balanced, L2-regularised, deterministic shuffling).
public struct ClassifierTrainer: Sendable {
    public var epochs = 5
    public var learningRate = 0.5
    public var l2 = 1e-6
    public var seed: UInt64 = 0
    public init() {}

    /// Metrics on a labelled set.
    public struct Metrics: Sendable {
        public var accuracy: Double
        public var logLoss: Double
        public var count: Int
    }

    public func train(features: ClassifierFeatures, examples: [([Int32], Bool)]) -> ClassifierModel {
        var m = ClassifierModel(features: features)
        let pos = examples.filter { $0.1 }.count, neg = examples.count - pos
        guard pos > 0 && neg > 0 else { return m }
        let wPos = Double(examples.count) / (2 * Double(pos)), wNeg = Double(examples.count) / (2 * Double(neg))
        var order = Array(0..<examples.count)
        var rng = SeededRandom(seed: seed)
        var step = 0
        for epoch in 0..<epochs {
            for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
            let lr = learningRate / (1 + Double(epoch))
            for k in order {
                let (idx, y) = examples[k]
                let p = m.probability(idx)
                let g = (p - (y ? 1 : 0)) * (y ? wPos : wNeg)
                let scale = idx.isEmpty ? 0 : 1 / Double(idx.count).squareRoot()
                let upd = Float(lr * g * scale)
                let decay = Float(1 - lr * l2)
                for i in idx { m.weights[Int(i)] = m.weights[Int(i)] * decay - upd }
                m.bias -= Float(lr * g)
                step += 1
            }
        }
        return m
    }

    public static func evaluate(_ m: ClassifierModel, _ examples: [([Int32], Bool)]) -> Metrics {
        var correct = 0, loss = 0.0
        for (idx, y) in examples {
            let p = min(max(m.probability(idx), 1e-12), 1 - 1e-12)
            if (p >= 0.5) == y { correct += 1 }
            loss -= y ? log(p) : log(1 - p)
        }
        let n = max(1, examples.count)
        return Metrics(accuracy: Double(correct) / Double(n), logLoss: loss / Double(n), count: examples.count)
    }
}

// VocabularyResize.swift: growing a model to an extended vocabulary (`spindle model resize`) — the
// embedding and an untied output matrix get rows V..<V' for the pieces a merged tokenizer added, every base
// row kept as it was. New rows are either
//   mean:        transformers' resize_token_embeddings(..., mean_resizing=True): with μ the mean of the V
//                base rows and Σ = (1/V)·Σ_v (e_v − μ)(e_v − μ)ᵀ their (biased) covariance, each new row is
//                drawn from N(μ, 1e-9·Σ), i.e. μ + C·z with C the Cholesky factor of 1e-9·Σ and z ~ N(0, I);
//                when 1e-9·Σ is not positive definite (Cholesky fails) every new row is μ. The embedding
//                and the output matrix are treated alike, each with its own μ and Σ.
//   piece-mean:  the mean of the base rows of the pieces the base tokenizer encodes the new piece's text
//                into (Chinese-LLaMA's practice); the caller supplies those ids per new row.
import Foundation
import SpindleIO

public enum VocabularyResize {
    public enum Initialisation: String, CaseIterable, Sendable {
        case mean
        case pieceMean = "piece-mean"
    }

    /// `model` with vocabulary `newVocab` ≥ its own. `pieces[v − V]` lists base ids for new id v
    /// (`.pieceMean`; a new row whose list is empty falls back to the mean row).
    public static func resize(_ model: LlamaModel, newVocab: Int, initialisation: Initialisation, pieces: [[Int32]] = [],
                              seed: UInt64 = 0) throws -> LlamaModel {
        let old = model.config.vocabSize
        guard newVocab >= old else {
            throw TrainerError.config(field: "vocab_size", message: "the new vocabulary (\(newVocab)) is smaller than the model's (\(old)): resizing only grows")
        }
        if initialisation == .pieceMean && pieces.count != newVocab - old {
            throw TrainerError.config(field: "init", message: "piece-mean needs base pieces for each of the \(newVocab - old) new ids")
        }
        var c = model.config
        c.vocabSize = newVocab
        let out = try LlamaModel(config: c, seed: seed, randomWeights: false)
        out.parallel = model.parallel
        var rng = SeededRandom(seed: seed, stream: "model resize")
        for t in out.layout.tensors {
            guard let src = model.layout.tensors.first(where: { $0.name == t.name }) else {
                throw TrainerError.format(file: "checkpoint", message: "no tensor \(t.name) to copy")
            }
            let dst = out.params.p + t.offset
            dst.update(from: model.params.p + src.offset, count: src.count)   // rows of a [vocab, dim] tensor come first
            guard src.count != t.count else { continue }
            let d = c.dim, rows = UnsafeBufferPointer(start: model.params.p + src.offset, count: src.count)
            let added = dst + src.count
            switch initialisation {
            case .mean: fillWithMeanResizing(rows, dim: d, into: added, count: newVocab - old, rng: &rng)
            case .pieceMean: fillWithPieceMeans(rows, dim: d, pieces: pieces, into: added)
            }
        }
        return out
    }

    /// μ and Σ of the rows [n, d], in float32 as transformers computes them (Σ with one sgemm).
    static func moments(_ rows: UnsafeBufferPointer<Float>, dim d: Int) -> (mean: [Float], covariance: [Double]) {
        let n = rows.count / d
        var acc = [Double](repeating: 0, count: d)
        for r in 0..<n { for j in 0..<d { acc[j] += Double(rows[r * d + j]) } }
        let mu = acc.map { Float($0 / Double(n)) }
        var centred = [Float](repeating: 0, count: n * d)
        for r in 0..<n { for j in 0..<d { centred[r * d + j] = rows[r * d + j] - mu[j] } }
        var cov = [Float](repeating: 0, count: d * d)
        centred.withUnsafeBufferPointer { x in
            cov.withUnsafeMutableBufferPointer { c in
                BLASBackend.shared.sgemm(transA: true, transB: false, m: d, n: d, k: n, alpha: 1 / Float(n), a: x.baseAddress!, lda: d,
                                         b: x.baseAddress!, ldb: d, beta: 0, c: c.baseAddress!, ldc: d)
            }
        }
        return (mu, cov.map(Double.init))
    }

    /// The lower Cholesky factor of the d×d matrix `a`, or nil when it is not positive definite.
    static func cholesky(_ a: [Double], dim d: Int) -> [Double]? {
        var l = [Double](repeating: 0, count: d * d)
        for i in 0..<d {
            for j in 0...i {
                var s = a[i * d + j]
                for k in 0..<j { s -= l[i * d + k] * l[j * d + k] }
                if i == j {
                    guard s > 0, s.isFinite else { return nil }
                    l[i * d + i] = s.squareRoot()
                } else {
                    l[i * d + j] = s / l[j * d + j]
                }
            }
        }
        return l
    }

    static func fillWithMeanResizing(_ rows: UnsafeBufferPointer<Float>, dim d: Int, into out: UnsafeMutablePointer<Float>,
                                     count: Int, rng: inout SeededRandom) {
        let (mu, cov) = moments(rows, dim: d)
        let factor = cholesky(cov.map { $0 * 1e-9 }, dim: d)
        var z = [Double](repeating: 0, count: d)
        for r in 0..<count {
            let row = out + r * d
            guard let factor else { row.update(from: mu, count: d); continue }
            for j in 0..<d { z[j] = Double(rng.nextGaussian()) }
            for i in 0..<d {
                var s = 0.0
                for k in 0...i { s += factor[i * d + k] * z[k] }
                row[i] = Float(Double(mu[i]) + s)
            }
        }
    }

    static func fillWithPieceMeans(_ rows: UnsafeBufferPointer<Float>, dim d: Int, pieces: [[Int32]], into out: UnsafeMutablePointer<Float>) {
        let (mu, _) = moments(rows, dim: d)
        for (r, ids) in pieces.enumerated() {
            let row = out + r * d
            guard !ids.isEmpty else { row.update(from: mu, count: d); continue }
            var acc = [Double](repeating: 0, count: d)
            for id in ids { for j in 0..<d { acc[j] += Double(rows[Int(id) * d + j]) } }
            for j in 0..<d { row[j] = Float(acc[j] / Double(ids.count)) }
        }
    }
}

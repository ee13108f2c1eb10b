// Vocabulary resize: base rows kept bit for bit, piece-mean rows, mean-resizing statistics, the
// non-positive-definite fallback, and (with torch + transformers) the statistics of transformers'
// resize_token_embeddings(..., mean_resizing=True) on the same checkpoint: its noise is random, so the
// two are compared by the new rows' mean and covariance, not row by row.
import Foundation
import Testing
import SpindleIO
@testable import SpindleTrainer
import SpindleTestSupport

/// ‖A − B‖_F / ‖B‖_F.
func relativeFrobenius(_ a: [Double], _ b: [Double]) -> Double {
    (zip(a, b).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) / b.map { $0 * $0 }.reduce(0, +)).squareRoot()
}

/// Mean and covariance (×1e9, around `centre`) of rows [n, d].
func newRowStatistics(_ rows: ArraySlice<Float>, dim d: Int, centre: [Float]) -> (mean: [Double], covariance: [Double]) {
    let n = rows.count / d, base = rows.startIndex
    var mean = [Double](repeating: 0, count: d), cov = [Double](repeating: 0, count: d * d)
    for r in 0..<n {
        for j in 0..<d { mean[j] += Double(rows[base + r * d + j]) / Double(n) }
        for i in 0..<d {
            let ci = Double(rows[base + r * d + i] - centre[i])
            for j in 0..<d { cov[i * d + j] += ci * Double(rows[base + r * d + j] - centre[j]) * 1e9 / Double(n) }
        }
    }
    return (mean, cov)
}

@Suite struct VocabularyResizeTests {
    func tensor(_ m: LlamaModel, _ name: String) -> ArraySlice<Float> {
        let t = m.layout.tensors.first { $0.name == name }!
        return Array(m.parameters)[t.offset..<(t.offset + t.count)]
    }

    @Test func meanResizingKeepsBaseRowsAndDrawsFromTheirCovariance() throws {
        var c = LlamaConfig(dim: 8, nLayers: 1, nHeads: 2, hiddenDim: 16, vocabSize: 200, maxSeqLen: 16)
        c.tieEmbeddings = false
        let m = try LlamaModel(config: c, seed: 3)
        let r = try VocabularyResize.resize(m, newVocab: 200 + 4000, initialisation: .mean, seed: 1)
        #expect(r.config.vocabSize == 4200)
        for name in ["model.embed_tokens.weight", "lm_head.weight"] {
            let old = tensor(m, name), new = tensor(r, name)
            #expect(Array(new.prefix(old.count)) == Array(old), "\(name): base rows kept")
            let oldRows = Array(old)
            let (mu, sigma) = oldRows.withUnsafeBufferPointer { VocabularyResize.moments($0, dim: 8) }
            let s = newRowStatistics(new.dropFirst(old.count), dim: 8, centre: mu)
            #expect(zip(s.mean, mu).allSatisfy { abs($0 - Double($1)) < 1e-6 }, "\(name): new rows centre on the base mean")
            let e = relativeFrobenius(s.covariance, sigma)
            #expect(e < 0.1, "\(name): new rows' covariance / 1e-9 vs the base rows' covariance: relative error \(e)")
        }
        // Every tensor other than the two grown ones is copied unchanged.
        let w = tensor(m, "model.layers.0.self_attn.q_proj.weight")
        #expect(Array(tensor(r, "model.layers.0.self_attn.q_proj.weight")) == Array(w))
    }

    @Test func singularCovarianceFallsBackToTheMeanAndPieceMeanAverages() throws {
        let c = LlamaConfig(dim: 16, nLayers: 1, nHeads: 2, hiddenDim: 16, vocabSize: 6, maxSeqLen: 16)   // 6 rows in 16 dims
        let m = try LlamaModel(config: c, seed: 4)
        let r = try VocabularyResize.resize(m, newVocab: 9, initialisation: .mean, seed: 1)
        let e = Array(tensor(m, "model.embed_tokens.weight")), n = Array(tensor(r, "model.embed_tokens.weight"))
        let mu = e.withUnsafeBufferPointer { VocabularyResize.moments($0, dim: 16).mean }
        #expect(Array(n[(6 * 16)...]) == mu + mu + mu, "rank-deficient covariance: every new row is the mean")
        let p = try VocabularyResize.resize(m, newVocab: 8, initialisation: .pieceMean, pieces: [[1, 4], []])
        let pe = Array(tensor(p, "model.embed_tokens.weight"))
        for j in 0..<16 { #expect(abs(pe[6 * 16 + j] - (e[16 + j] + e[4 * 16 + j]) / 2) < 1e-7) }
        #expect(Array(pe[(7 * 16)...]) == mu, "no base pieces: the mean row")
        #expect(throws: TrainerError.self) { try VocabularyResize.resize(m, newVocab: 5, initialisation: .mean) }
    }
}

@Suite(.requires(.python("torch", "transformers", "safetensors")))
struct VocabularyResizeCrossCheckTests {
    static let script = #"""
import json, sys, torch
from safetensors.torch import load_file
from transformers import LlamaForCausalLM
base_dir, sp_dir, new_vocab = sys.argv[1], sys.argv[2], int(sys.argv[3])
torch.manual_seed(0)
m = LlamaForCausalLM.from_pretrained(base_dir, dtype=torch.float32)
old = {"model.embed_tokens.weight": m.model.embed_tokens.weight.detach().clone(), "lm_head.weight": m.lm_head.weight.detach().clone()}
m.resize_token_embeddings(new_vocab, mean_resizing=True)
hf = {"model.embed_tokens.weight": m.model.embed_tokens.weight.detach(), "lm_head.weight": m.lm_head.weight.detach()}
sp = load_file(sp_dir + "/model.safetensors")
out = {"config_vocab": m.config.vocab_size}
for name, o in old.items():
    V = o.shape[0]
    mu = o.double().mean(0); c = o.double() - mu; sigma = c.T @ c / V
    def stats(w):
        new = w[V:].double()
        d = new - mu
        return new.mean(0), d.T @ d / new.shape[0] / 1e-9
    hm, hc = stats(hf[name]); sm, sc = stats(sp[name])
    rel = lambda a, b: ((a - b).norm() / b.norm()).item()
    out[name] = {"base_rows_equal": bool(torch.equal(hf[name][:V], sp[name][:V])) and bool(torch.equal(o, sp[name][:V])),
                 "mean_diff": (hm - sm).abs().max().item(), "mean_to_mu_hf": (hm - mu).abs().max().item(),
                 "cov_hf_vs_sigma": rel(hc, sigma), "cov_sp_vs_sigma": rel(sc, sigma), "cov_sp_vs_hf": rel(sc, hc)}
print(json.dumps(out))
"""#

    @Test func statisticsMatchTransformersMeanResizing() throws {
        let tmp = TempDir("resizex"); defer { tmp.cleanup() }
        let base = try trainedSpindleCheckpoint(tied: false, dir: tmp.path + "/base")
        let newVocab = base.config.vocabSize + 6000
        let r = try VocabularyResize.resize(base, newVocab: newVocab, initialisation: .mean, seed: 7)
        try Checkpoint.save(r, to: tmp.path + "/sp")
        let out = try Python.output(Self.script, args: [tmp.path + "/base", tmp.path + "/sp", String(newVocab)])
        let v = try JSONValue.parse(Array(out))
        #expect(v["config_vocab"]?.intValue == newVocab)
        for name in ["model.embed_tokens.weight", "lm_head.weight"] {
            guard let s = v[name] else { Issue.record("no statistics for \(name)"); continue }
            func num(_ k: String) -> Double { s[k]?.doubleValue ?? .nan }
            print("resize \(name): mean diff \(num("mean_diff")), cov rel err Spindle \(num("cov_sp_vs_sigma")) transformers \(num("cov_hf_vs_sigma")) between \(num("cov_sp_vs_hf"))")
            #expect(s["base_rows_equal"]?.boolValue == true, "\(name): base rows kept by both")
            #expect(num("mean_diff") < 1e-6 && num("mean_to_mu_hf") < 1e-6, "\(name): new rows' means agree")
            #expect(num("cov_hf_vs_sigma") < 0.2 && num("cov_sp_vs_sigma") < 0.2 && num("cov_sp_vs_hf") < 0.3, "\(name): covariances agree")
        }
    }
}

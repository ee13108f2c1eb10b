// Cross-check of the RoPE scalings with transformers' LlamaForCausalLM (needs torch + transformers;
// skipped without them). A tiny model trained at length L = 32 gets each scaling (linear, dynamic, yarn,
// llama3) at factors 2 and 4 (q/k weights scaled up so attention, and so the log-probs, hinge on positions), and is scored on sequences of L/2, L + 3, 2L and (factor 4) 4L tokens:
//  - Spindle → transformers: Spindle writes the scaled checkpoint (config.json's rope_scaling and
//    rope_parameters), transformers loads it and scores;
//  - transformers → Spindle: transformers writes a config with the same weights and each scaling (yarn with
//    its optional beta/mscale keys), Spindle loads it and scores.
// Per-token log-probs must agree within 1e-4. One Python start for everything.
import Foundation
import Testing
import SpindleIO
@testable import SpindleTrainer
import SpindleTestSupport

@Suite(.requires(.python("torch", "transformers", "safetensors")))
struct RoPEScalingCrossCheckTests {
    static let trained = 32

    static let script = #"""
import json, sys, torch
from transformers import LlamaConfig, LlamaForCausalLM
root, L = sys.argv[1], int(sys.argv[2])
jobs = json.load(open(root + "/jobs.json"))
base = LlamaForCausalLM.from_pretrained(root + "/base", dtype=torch.float32)
for name, rope in jobs["hf"].items():                       # transformers writes these configs
    d = base.config.to_dict()
    for k in ("rope_parameters", "rope_scaling", "rope_theta", "transformers_version", "architectures", "dtype", "torch_dtype"):
        d.pop(k, None)
    mpe = L if rope["rope_type"] == "dynamic" else int(L * rope["factor"])
    cfg = LlamaConfig(**{**d, "max_position_embeddings": mpe, "rope_parameters": {**rope, "rope_theta": 10000.0}})
    m = LlamaForCausalLM(cfg)
    m.load_state_dict(base.state_dict())
    m.save_pretrained(root + "/" + name)
for name in jobs["score"]:
    m = LlamaForCausalLM.from_pretrained(root + "/" + name, dtype=torch.float32).eval()
    re = m.model.rotary_emb
    want = jobs["types"][name]
    assert re.rope_type == want, (name, re.rope_type, want)
    out = []
    for line in open(root + "/" + name + "/tokens.txt"):
        ids = torch.tensor([[int(t) for t in line.split()]])
        re.inv_freq = re.original_inv_freq.clone(); re.max_seq_len_cached = re.original_max_seq_len   # a fresh model per sequence
        with torch.no_grad():
            lp = torch.log_softmax(m(ids).logits[0].double(), -1)
        out.append(" ".join(repr(lp[i, ids[0, i + 1]].item()) for i in range(ids.shape[1] - 1)))
    open(root + "/" + name + "/hf_lp.txt", "w").write("\n".join(out) + "\n")
"""#

    /// A model trained for 20 steps at length `trained` (so its weights are not an initialisation).
    static func trainedModel() throws -> LlamaModel {
        var c = TrainConfig(model: LlamaConfig(dim: 64, nLayers: 2, nHeads: 4, nKVHeads: 2, hiddenDim: 96, vocabSize: 128,
                                               maxSeqLen: trained))
        c.seqLen = trained; c.batchSize = 2; c.steps = 20; c.lr = 3e-3; c.warmupSteps = 2
        var rng = SeededRandom(seed: 5)
        let docs = (0..<12).map { _ in (0..<40).map { _ in Int32(3 + rng.next() % 60) } }
        let t = try Trainer(config: c, source: InMemoryBatchSource.packing(documents: docs, seqLen: trained))
        for _ in 0..<20 { try t.step() }
        // Sharpen attention (scores ×36) so that log-probs depend strongly on the rotary angles: a wrong
        // frequency moves them by far more than the tolerance.
        for w in t.model.layout.tensors where w.name.hasSuffix("q_proj.weight") || w.name.hasSuffix("k_proj.weight") {
            for i in 0..<w.count { t.model.parameters[w.offset + i] *= 6 }
        }
        return t.model
    }

    static func sequences(factor: Int, seed: UInt64) -> String {
        var rng = SeededRandom(seed: seed)
        let lengths = [trained / 2, trained + 3, 2 * trained] + (factor >= 4 ? [4 * trained] : [])
        return lengths.map { n in (0..<n).map { _ in String(3 + rng.next() % 60) }.joined(separator: " ") }.joined(separator: "\n") + "\n"
    }

    /// transformers' rope_parameters for the checkpoints it writes.
    static func hfRope(_ kind: RoPEScaling.Kind, _ f: Int) -> JSONValue {
        var m: [(String, JSONValue)] = [("rope_type", .string(kind.rawValue)), ("factor", .number("\(f).0"))]
        switch kind {
        case .linear, .dynamic: break
        case .yarn:
            m += [("original_max_position_embeddings", .int(trained)), ("beta_fast", .number("16.0")), ("beta_slow", .number("2.0"))]
            if f == 4 { m += [("mscale", .number("1.0")), ("mscale_all_dim", .number("0.5"))] }
        case .llama3:
            m += [("original_max_position_embeddings", .int(trained)), ("low_freq_factor", .number("1.0")), ("high_freq_factor", .number("4.0"))]
        }
        return .object(m)
    }

    @Test func logProbsMatchTransformersForEveryScalingAt2xAnd4x() throws {
        let tmp = TempDir("ropex"); defer { tmp.cleanup() }
        let root = tmp.path
        let base = try Self.trainedModel()
        try Checkpoint.save(base, to: root + "/base")
        var hf: [(String, JSONValue)] = [], score: [String] = [], types: [(String, JSONValue)] = []
        var models: [String: LlamaModel] = [:]
        for kind in RoPEScaling.Kind.allCases {
            for f in [2, 4] {
                let sp = "sp-\(kind.rawValue)-\(f)", h = "hf-\(kind.rawValue)-\(f)"
                let m = try base.reconfigured(try base.config.scaled(RoPEScaling(kind: kind, factor: Float(f))))
                try Checkpoint.save(m, to: root + "/" + sp)
                models[sp] = m
                hf.append((h, Self.hfRope(kind, f)))
                score += [sp, h]
                types += [(sp, .string(kind.rawValue)), (h, .string(kind.rawValue))]
                for d in [sp, h] {
                    try FileManager.default.createDirectory(atPath: root + "/" + d, withIntermediateDirectories: true)
                    try Self.sequences(factor: f, seed: UInt64(f)).write(toFile: root + "/" + d + "/tokens.txt", atomically: true, encoding: .utf8)
                }
            }
        }
        let jobs = JSONValue.object([("hf", .object(hf)), ("score", .array(score.map { .string($0) })), ("types", .object(types))])
        try jobs.fileText(.indented).write(toFile: root + "/jobs.json", atomically: true, encoding: .utf8)
        let r = try Python.script(Self.script, args: [root, String(Self.trained)])
        #expect(r.status == 0, "\(r.stderr.suffix(3000))")
        guard r.status == 0 else { return }
        for name in score {
            let model = try models[name] ?? Checkpoint.load(root + "/" + name)
            if name.hasPrefix("hf-") {
                let kind = String(name.split(separator: "-")[1])
                #expect(model.config.ropeScaling?.kind.rawValue == kind, "\(name): read \(String(describing: model.config.ropeScaling))")
            }
            let (worst, n, longest) = try compare(dir: root + "/" + name, model: model)
            print("rope \(name): max |Δ log p| \(worst) over \(n) tokens (longest \(longest) = \(longest / Self.trained)x trained)")
            #expect(n > 100 && worst <= 1e-4, "\(name): max |Δ log p| \(worst) over \(n) tokens")
            // The scaling is not a no-op: the unscaled model (same context) scores the longest sequence differently.
            var plain = base.config; plain.maxSeqLen = model.config.maxSeqLen
            let toks = try String(contentsOfFile: root + "/" + name + "/tokens.txt", encoding: .utf8).split(separator: "\n").last!
                .split(separator: " ").map { Int32($0)! }
            let a = try Scorer(model: model).logProbs(toks), b = try Scorer(model: try base.reconfigured(plain)).logProbs(toks)
            #expect(zip(a, b).map { abs($0 - $1) }.max()! > 1e-2, "\(name) scores like the unscaled model")
        }
    }

    func compare(dir: String, model: LlamaModel) throws -> (Double, Int, Int) {
        let ref = try readLogProbs(dir + "/hf_lp.txt")
        let lines = try String(contentsOfFile: dir + "/tokens.txt", encoding: .utf8).split(separator: "\n")
        #expect(lines.count == ref.count)
        let scorer = Scorer(model: model)
        var worst = 0.0, n = 0, longest = 0
        for (line, want) in zip(lines, ref) {
            let toks = line.split(separator: " ").map { Int32($0)! }
            longest = max(longest, toks.count)
            let got = try scorer.logProbs(toks)
            #expect(got.count == want.count)
            for (g, w) in zip(got, want) { worst = max(worst, abs(Double(g) - w)); n += 1 }
        }
        return (worst, n, longest)
    }
}

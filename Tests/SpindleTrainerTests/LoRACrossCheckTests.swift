// Cross-check with peft (needs torch, transformers and peft; skipped without them). One base checkpoint
// written by Spindle, and:
//   1. an adapter trained by Spindle (a few LoRA steps, all seven projections, dropout on) loaded by
//      `PeftModel.from_pretrained` onto transformers' LlamaForCausalLM: log-probs equal to Spindle's;
//   2. an adapter written by peft (`get_peft_model` + random non-zero lora_B, `save_pretrained`) loaded
//      by Spindle: log-probs equal to peft's;
//   3. `lora merge` (Spindle) against peft's `merge_and_unload()` for both adapters: every weight equal.
import Foundation
import Testing
import SpindleIO
@testable import SpindleTrainer
import SpindleTestSupport

@Suite(.requires(.python("torch", "transformers", "peft", "safetensors")))
struct LoRACrossCheckTests {
    static let script = #"""
import sys, torch
from transformers import LlamaForCausalLM
from peft import LoraConfig, PeftModel, get_peft_model

base_dir, sp_adapter, peft_adapter, out = sys.argv[1:5]
seqs = [[int(t) for t in l.split()] for l in open(base_dir + "/tokens.txt").read().split("\n")[:-1]]

def base():
    return LlamaForCausalLM.from_pretrained(base_dir, dtype=torch.float32).eval()

def logprobs(model, path):
    with open(path, "w") as f, torch.no_grad():
        for s in seqs:
            ids = torch.tensor([s])
            lp = torch.log_softmax(model(input_ids=ids).logits.float(), dim=-1)[0, :-1]
            f.write(" ".join(repr(float(v)) for v in lp.gather(1, ids[0, 1:, None])[:, 0]) + "\n")

# 1. Spindle's adapter in peft.
m = PeftModel.from_pretrained(base(), sp_adapter).eval()
logprobs(m, out + "/sp_adapter_peft_lp.txt")
m.merge_and_unload().save_pretrained(out + "/sp_adapter_peft_merged")

# 2. An adapter peft writes: random A (its init) and random non-zero B.
torch.manual_seed(3)
cfg = LoraConfig(r=3, lora_alpha=7, lora_dropout=0.1, target_modules=["q_proj", "v_proj", "o_proj", "down_proj"],
                 task_type="CAUSAL_LM")
m = get_peft_model(base(), cfg)
with torch.no_grad():
    for name, p in m.named_parameters():
        if "lora_B" in name:
            p.copy_(torch.randn_like(p) * 0.5)
m.save_pretrained(peft_adapter)
m.eval()
logprobs(m, out + "/peft_adapter_lp.txt")
m.merge_and_unload().save_pretrained(out + "/peft_adapter_peft_merged")
"""#

    /// Max |Δ| between Spindle's log-probs of `model` over DIR/tokens.txt and the reference file.
    func maxLogProbDifference(_ model: LlamaModel, tokens: String, reference: String) throws -> (Double, Int) {
        let ref = try readLogProbs(reference)
        let lines = try String(contentsOfFile: tokens, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == ref.count)
        let scorer = Scorer(model: model)
        var worst = 0.0, n = 0
        for (line, want) in zip(lines, ref) {
            let got = try scorer.logProbs(line.split(separator: " ").map { Int32($0)! })
            #expect(got.count == want.count)
            for (g, w) in zip(got, want) { worst = max(worst, abs(Double(g) - w)); n += 1 }
        }
        return (worst, n)
    }

    /// Max |Δ| over every tensor of two safetensors files holding the same names.
    func maxWeightDifference(_ a: String, _ b: String) throws -> Double {
        let x = try Safetensors.read(a), y = try Safetensors.read(b)
        #expect(Set(x.keys) == Set(y.keys), "tensor names differ: \(Set(x.keys).symmetricDifference(y.keys).sorted().prefix(4))")
        var worst = 0.0
        for (name, t) in x {
            guard let u = y[name], u.shape == t.shape else { Issue.record("\(name): shape differs"); continue }
            for (p, q) in zip(t.values, u.values) { worst = max(worst, Double(abs(p - q))) }
        }
        return worst
    }

    @Test func adaptersAndMergesAgreeWithPEFT() throws {
        let tmp = TempDir("lorax"); defer { tmp.cleanup() }
        let root = tmp.path, baseDir = root + "/base"
        _ = try trainedSpindleCheckpoint(tied: false, dir: baseDir)
        // A few LoRA steps on the base (B leaves zero, so the adapter changes the model).
        let model = try Checkpoint.load(baseDir)
        let lora = try LoRAAdapters(config: model.config, settings: LoRASettings(rank: 4, alpha: 8, dropout: 0.1, targets: LoRATarget.allCases), seed: 11)
        lora.baseModel = baseDir
        model.lora = lora
        var c = TrainConfig(model: model.config)
        c.seqLen = 64; c.batchSize = 2; c.steps = 6; c.lr = 1e-2; c.warmupSteps = 1
        var rng = SeededRandom(seed: 21)
        let docs = (0..<8).map { _ in (0..<40).map { _ in Int32(3 + rng.next() % 60) } }
        let trainer = try Trainer(config: c, source: InMemoryBatchSource.packing(documents: docs, seqLen: 64), model: model)
        for _ in 0..<6 { try trainer.step() }
        #expect(UnsafeBufferPointer(start: lora.params.p + lora.slots[0].b, count: 4).contains { $0 != 0 })
        try trainer.save(to: root + "/sp-adapter")

        let r = try Python.script(Self.script, args: [baseDir, root + "/sp-adapter", root + "/peft-adapter", root])
        #expect(r.status == 0, "\(r.output)")
        guard r.status == 0 else { return }

        // 1. Spindle's adapter: peft's log-probs against Spindle's (adapter applied, not merged).
        let (d1, n1) = try maxLogProbDifference(model, tokens: baseDir + "/tokens.txt", reference: root + "/sp_adapter_peft_lp.txt")
        #expect(n1 > 300 && d1 <= 1e-5, "Spindle adapter in peft: max |Δ log p| \(d1) over \(n1) tokens")
        let plain = try maxLogProbDifference(try Checkpoint.load(baseDir), tokens: baseDir + "/tokens.txt", reference: root + "/sp_adapter_peft_lp.txt")
        #expect(plain.0 > 1e-3, "the adapter changes the log-probs (base vs adapted: \(plain.0))")

        // 2. peft's adapter in Spindle.
        let peftModel = try LoRACheckpoint.load(root + "/peft-adapter", base: baseDir)
        #expect(peftModel.lora?.settings == LoRASettings(rank: 3, alpha: 7, dropout: 0.1, targets: [.q, .v, .o, .down]))
        let (d2, n2) = try maxLogProbDifference(peftModel, tokens: baseDir + "/tokens.txt", reference: root + "/peft_adapter_lp.txt")
        #expect(n2 > 300 && d2 <= 1e-5, "peft adapter in Spindle: max |Δ log p| \(d2) over \(n2) tokens")

        // 3. lora merge against merge_and_unload, for both adapters.
        for name in ["sp-adapter", "peft-adapter"] {
            let out = root + "/\(name)-merged"
            _ = try LoRACheckpoint.mergeCheckpoint(base: baseDir, adapter: root + "/" + name, output: out, overwrite: false)
            let peftName = name.replacingOccurrences(of: "-", with: "_") + "_peft_merged"
            let d = try maxWeightDifference(out + "/model.safetensors", root + "/\(peftName)/model.safetensors")
            #expect(d <= 1e-5, "\(name): lora merge vs merge_and_unload, max |Δ w| \(d)")
            let moved = try maxWeightDifference(out + "/model.safetensors", baseDir + "/model.safetensors")
            #expect(moved > 1e-4, "\(name): merging changes the weights (max |Δ w| from the base \(moved))")
            print("lora cross-check \(name): merged weights max |Δ| \(d)")
            #expect(throws: TrainerError.self) { try LoRACheckpoint.mergeCheckpoint(base: baseDir, adapter: root + "/" + name, output: out, overwrite: false) }
        }
        print("lora cross-check: Spindle adapter in peft max |Δ log p| \(d1) (\(n1) tokens); peft adapter in Spindle \(d2) (\(n2) tokens)")
    }
}

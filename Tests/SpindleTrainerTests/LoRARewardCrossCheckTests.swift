// Cross-check of reward-model adapters with peft (needs torch, transformers and peft; skipped without
// them). One language-model base written by Spindle, and:
//   1. an RM adapter trained by Spindle (`train rm --lora-rank` on all seven projections, dropout on, the
//      score head trained beside them) loaded by `PeftModel.from_pretrained` onto transformers'
//      LlamaForSequenceClassification built from the base: rewards equal to Spindle's;
//   2. an RM adapter written by peft (task_type SEQ_CLS, random non-zero lora_B and score) loaded by
//      Spindle: rewards equal to peft's;
//   3. `lora merge` against peft's `merge_and_unload()` for both: every weight (score.weight included) equal.
import Foundation
import Testing
import SpindleIO
@testable import SpindleTrainer
import SpindleTestSupport

@Suite(.requires(.python("torch", "transformers", "peft", "safetensors")))
struct LoRARewardCrossCheckTests {
    static let script = #"""
import sys, torch
from transformers import LlamaForSequenceClassification
from peft import LoraConfig, PeftModel, get_peft_model

base_dir, sp_adapter, peft_adapter, out = sys.argv[1:5]
seqs = [[int(t) for t in l.split()] for l in open(base_dir + "/tokens.txt").read().split("\n")[:-1]]

def base():
    # The score head of an LM checkpoint is new (random) here; the adapter brings the trained one.
    return LlamaForSequenceClassification.from_pretrained(base_dir, num_labels=1, dtype=torch.float32).eval()

def rewards(model, path):
    with open(path, "w") as f, torch.no_grad():
        for s in seqs:
            f.write(repr(float(model(input_ids=torch.tensor([s])).logits[0, 0])) + "\n")

# 1. Spindle's RM adapter in peft.
m = PeftModel.from_pretrained(base(), sp_adapter).eval()
rewards(m, out + "/sp_rewards.txt")
m.merge_and_unload().save_pretrained(out + "/sp_peft_merged")

# 2. An RM adapter peft writes: its A init, random non-zero B and score head.
torch.manual_seed(5)
cfg = LoraConfig(r=3, lora_alpha=7, lora_dropout=0.1, target_modules=["q_proj", "v_proj", "o_proj", "down_proj"],
                 task_type="SEQ_CLS")
m = get_peft_model(base(), cfg)
with torch.no_grad():
    for name, p in m.named_parameters():
        if "lora_B" in name or "score" in name:
            p.copy_(torch.randn_like(p) * 0.5)
m.save_pretrained(peft_adapter)
m.eval()
rewards(m, out + "/peft_rewards.txt")
m.merge_and_unload().save_pretrained(out + "/peft_peft_merged")
"""#

    /// Max |Δ| between Spindle's rewards of `model` over the base's tokens.txt and a reference file.
    func maxRewardDifference(_ model: LlamaModel, tokens: String, reference: String) throws -> (Double, Int) {
        let ref = try String(contentsOfFile: reference, encoding: .utf8).split(separator: "\n").map { Double($0)! }
        let seqs = try String(contentsOfFile: tokens, encoding: .utf8).split(separator: "\n").map { $0.split(separator: " ").map { Int32($0)! } }
        #expect(seqs.count == ref.count)
        let got = RewardModel(model: model, rows: 2, seqLen: 64).score(seqs)
        return (zip(got, ref).map { abs(Double($0) - $1) }.max() ?? .infinity, got.count)
    }

    @Test func rewardAdaptersAndMergesAgreeWithPEFT() throws {
        let tmp = TempDir("lora-rm-x"); defer { tmp.cleanup() }
        let root = tmp.path, baseDir = root + "/base"
        _ = try trainedSpindleCheckpoint(tied: false, dir: baseDir)
        // A few RM LoRA steps on random pairs (B and the head move away from their start).
        var rng = SeededRandom(seed: 23)
        let pairs = (0..<16).map { i -> PreferenceTokens in
            let prompt = (0..<12).map { _ in Int32(3 + rng.next() % 60) }
            return PreferenceTokens(chosen: prompt + (0..<8).map { _ in Int32(3 + rng.next() % 60) },
                                    rejected: prompt + (0..<6).map { _ in Int32(3 + rng.next() % 60) }, degree: i % 4)
        }
        var c = TrainConfig(model: try Checkpoint.loadConfig(baseDir))
        c.model.scoreHead = true
        c.seqLen = 64; c.batchSize = 4; c.gradAccum = 2; c.steps = 6; c.lr = 1e-2; c.warmupSteps = 1; c.threads = 1
        c.logEvery = 1000; c.evalEvery = 0; c.checkpointEvery = 0; c.outputDir = root + "/run"
        let lora = LoRASettings(rank: 4, alpha: 8, dropout: 0.1, targets: LoRATarget.allCases)
        _ = try RewardTraining.run(config: c, initFrom: baseDir, pairs: pairs, eval: [], margins: .small, stamp: nil, resume: false,
                                   lora: lora, log: { _ in })
        let spAdapter = root + "/run/checkpoint"
        let spindle = try LoRACheckpoint.load(spAdapter)
        #expect(UnsafeBufferPointer(start: spindle.lora!.params.p + spindle.lora!.slots[0].b, count: 4).contains { $0 != 0 })

        let r = try Python.script(Self.script, args: [baseDir, spAdapter, root + "/peft-adapter", root])
        #expect(r.status == 0, "\(r.output)")
        guard r.status == 0 else { return }

        // 1. Spindle's adapter in peft (adapters applied in Spindle, not merged).
        let (d1, n1) = try maxRewardDifference(spindle, tokens: baseDir + "/tokens.txt", reference: root + "/sp_rewards.txt")
        #expect(n1 == 6 && d1 <= 1e-5, "Spindle RM adapter in peft: max |Δ reward| \(d1) over \(n1) sequences")
        let plain = try LoRACheckpoint.rewardTrunk(try Checkpoint.load(baseDir), pooling: .last)
        (plain.params.p + plain.layout.score).update(from: spindle.lora!.params.p + spindle.lora!.scoreOffset, count: plain.config.dim)
        let (dHeadOnly, _) = try maxRewardDifference(plain, tokens: baseDir + "/tokens.txt", reference: root + "/sp_rewards.txt")
        #expect(dHeadOnly > 1e-4, "the adapters change the rewards beyond the head (trunk without them: \(dHeadOnly))")

        // 2. peft's adapter in Spindle.
        let peftModel = try LoRACheckpoint.load(root + "/peft-adapter", base: baseDir)
        #expect(peftModel.lora?.settings == LoRASettings(rank: 3, alpha: 7, dropout: 0.1, targets: [.q, .v, .o, .down]))
        #expect(peftModel.lora?.scorePooling == .last)
        let (d2, n2) = try maxRewardDifference(peftModel, tokens: baseDir + "/tokens.txt", reference: root + "/peft_rewards.txt")
        #expect(n2 == 6 && d2 <= 1e-5, "peft RM adapter in Spindle: max |Δ reward| \(d2) over \(n2) sequences")

        // 3. lora merge against merge_and_unload.
        for (name, adapter) in [("sp", spAdapter), ("peft", root + "/peft-adapter")] {
            let out = root + "/\(name)-merged"
            _ = try LoRACheckpoint.mergeCheckpoint(base: baseDir, adapter: adapter, output: out, overwrite: false)
            let d = try maxTensorDifference(out + "/model.safetensors", root + "/\(name)_peft_merged/model.safetensors")
            #expect(d <= 1e-5, "\(name): lora merge vs merge_and_unload, max |Δ w| \(d)")
            let (dm, _) = try maxRewardDifference(try Checkpoint.load(out), tokens: baseDir + "/tokens.txt", reference: root + "/\(name)_rewards.txt")
            #expect(dm <= 1e-5, "\(name): merged checkpoint's rewards vs peft's: \(dm)")
            print("lora rm cross-check \(name): merged weights max |Δ| \(d), merged rewards max |Δ| \(dm)")
        }
        print("lora rm cross-check: Spindle RM adapter in peft max |Δ reward| \(d1); peft RM adapter in Spindle \(d2) (\(n1) sequences)")
    }

    /// Max |Δ| over every tensor of two safetensors files holding the same names.
    func maxTensorDifference(_ a: String, _ b: String) throws -> Double {
        let x = try Safetensors.read(a), y = try Safetensors.read(b)
        #expect(Set(x.keys) == Set(y.keys), "tensor names differ: \(Set(x.keys).symmetricDifference(y.keys).sorted().prefix(4))")
        var worst = 0.0
        for (name, t) in x {
            guard let u = y[name], u.shape == t.shape else { Issue.record("\(name): shape differs"); continue }
            for (p, q) in zip(t.values, u.values) { worst = max(worst, Double(abs(p - q))) }
        }
        return worst
    }
}

// Cross-check with TRL's DPOTrainer (needs torch, transformers and trl; skipped without them): the same
// batch of pairs from the same Spindle checkpoints (policy, and a perturbed copy as the reference) goes
// through TRL's own loss code (`DPOTrainer._compute_loss`, run on a stand-in trainer object, with the
// transformers LlamaForCausalLM behind TRL's fused LM head), and through Spindle's. Compared: the summed
// response log-probs (transformers vs Spindle), and TRL's loss and its gradient with respect to the summed
// log-probs against `dpoLoss` on the same log-probs, for sigmoid, IPO and label smoothing (cDPO).
//
// TRL 1.x dropped `label_smoothing` from its `sigmoid` loss (TRL 0.x's `dpo_loss` had the cDPO form
// (1−ε)·softplus(−βh) + ε·softplus(βh)). Its `robust` loss is ((1−ε)·A − ε·B)/(1−2ε) with A = softplus(−βh),
// B = softplus(βh), so cDPO = 2(1−ε)·sigmoid − (1−2ε)·robust exactly: TRL's `loss_type=["sigmoid","robust"]`
// with those `loss_weights` computes cDPO with TRL's own terms.
import Foundation
import Testing
import SpindleIO
@testable import SpindleTrainer
import SpindleTestSupport

@Suite(.requires(.python("torch", "transformers", "trl")))
struct DPOCrossCheckTests {
    static let script = #"""
import collections, contextlib, json, sys, types
import torch
from transformers import LlamaForCausalLM
from trl import DPOTrainer
from trl.trainer.utils import add_fused_lm_head

policy_dir, ref_dir, batch_file = sys.argv[1:4]
batch = json.load(open(batch_file))
pol = LlamaForCausalLM.from_pretrained(policy_dir, dtype=torch.float32)
ref = LlamaForCausalLM.from_pretrained(ref_dir, dtype=torch.float32).eval()
pol.train()
add_fused_lm_head(pol, outputs=("log_probs", "entropy", "mean_logits", "is_top1"))
add_fused_lm_head(ref)
seqs = [p["chosen"] for p in batch] + [p["rejected"] for p in batch]   # TRL's layout: chosen rows, then rejected
plens = [p["prompt_len"] for p in batch] * 2
T = max(len(s) for s in seqs)
ids = torch.zeros(len(seqs), T, dtype=torch.long)
att = torch.zeros(len(seqs), T, dtype=torch.long)
comp = torch.zeros(len(seqs), T, dtype=torch.long)
for i, s in enumerate(seqs):
    ids[i, :len(s)] = torch.tensor(s); att[i, :len(s)] = 1; comp[i, plens[i]:len(s)] = 1
inputs = {"input_ids": ids, "attention_mask": att, "completion_mask": comp}

class Tap:
    """The policy, with its per-token log-probs made a leaf so their gradient can be read."""
    def __init__(self, m): self.m = m; self.leaf = None
    def __call__(self, **kw):
        out = self.m(**kw)
        self.leaf = out.log_probs.detach().clone().requires_grad_(True)
        out.log_probs = self.leaf
        return out

accel = types.SimpleNamespace(device=torch.device("cpu"), gather_for_metrics=lambda x: x, gather=lambda x: x,
                              autocast=contextlib.nullcontext, unwrap_model=lambda m: m)
labels = ids.masked_fill(comp == 0, -100)
with torch.no_grad():
    pol_sum = pol(input_ids=ids, attention_mask=att, labels=labels, fused_lm_head=True).log_probs.sum(1)
    ref_sum = ref(input_ids=ids, attention_mask=att, labels=labels, fused_lm_head=True).log_probs.sum(1)
B = len(batch)
res = {"policy_chosen": pol_sum[:B].tolist(), "policy_rejected": pol_sum[B:].tolist(),
       "ref_chosen": ref_sum[:B].tolist(), "ref_rejected": ref_sum[B:].tolist(), "runs": []}
for name, beta, types_, weights, eps in [("sigmoid", 0.1, ["sigmoid"], [1.0], 0.0), ("ipo", 0.5, ["ipo"], [1.0], 0.0),
                                         ("cdpo", 0.5, ["sigmoid", "robust"], [2 * (1 - 0.2), -(1 - 2 * 0.2)], 0.2)]:
    me = types.SimpleNamespace(model=pol, ref_model=ref, accelerator=accel, beta=beta, loss_types=types_, loss_weights=weights,
                               label_smoothing=eps, f_divergence_type="reverse_kl", f_alpha_divergence_coef=1.0, ld_alpha=None,
                               precompute_ref_logps=False, use_weighting=False, aux_loss_enabled=False,
                               args=types.SimpleNamespace(gradient_checkpointing_kwargs=None, discopop_tau=0.05),
                               _metrics={"train": collections.defaultdict(list), "eval": collections.defaultdict(list)},
                               _total_train_tokens=0, _tp_size=1)
    tap = Tap(pol)
    loss = DPOTrainer._compute_loss(me, tap, inputs, False)
    loss.backward()
    g = tap.leaf.grad
    shift = comp[:, 1:].bool()
    per_seq = [g[i][shift[i]].tolist() for i in range(2 * B)]
    res["runs"].append({"name": name, "loss": loss.item(), "d": [v[0] for v in per_seq],
                        "d_spread": max(max(v) - min(v) for v in per_seq),
                        "rewards_chosen": me._metrics["train"]["rewards/chosen"][0],
                        "rewards_rejected": me._metrics["train"]["rewards/rejected"][0],
                        "reward_accuracy": me._metrics["train"]["rewards/accuracies"][0],
                        "reward_margin": me._metrics["train"]["rewards/margins"][0]})
print(json.dumps(res))
"""#

    @Test func lossAndGradientMatchTRL() throws {
        let tmp = TempDir("dpo-trl"); defer { tmp.cleanup() }
        let polDir = tmp.sub("policy"), refDir = tmp.sub("ref")
        let policy = try trainedSpindleCheckpoint(tied: false, dir: polDir)
        let refModel = try Checkpoint.load(polDir)
        var r = SeededRandom(seed: 21)
        for i in 0..<refModel.layout.totalCount { refModel.params.p[i] *= 1 + (r.nextFloat() - 0.5) * 0.2 }
        try Checkpoint.save(refModel, to: refDir)
        let pairs: [DPOPair] = (0..<6).map { i in
            let prompt: [Int32] = [1] + (0..<(2 + i % 4)).map { _ in Int32(3 + r.next() % 60) }
            let c = (0..<(2 + i)).map { _ in Int32(3 + r.next() % 60) } + [2], rj = (0..<(7 - i)).map { _ in Int32(3 + r.next() % 60) } + [2]
            return DPOPair(chosen: prompt + c, rejected: prompt + rj, promptLength: prompt.count, degree: i % 4)
        }
        let batchJSON = JSONValue.array(pairs.map { p in
            .object([("chosen", .array(p.chosen.map { .int($0) })), ("rejected", .array(p.rejected.map { .int($0) })), ("prompt_len", .int(p.promptLength))])
        })
        try batchJSON.fileText(.compact).write(toFile: tmp.sub("batch.json"), atomically: true, encoding: .utf8)
        let out = try Python.script(Self.script, args: [polDir, refDir, tmp.sub("batch.json")])
        #expect(out.status == 0, "\(out.output.suffix(3000))")
        let line = try #require(out.stdout.split(separator: "\n").last)
        let res = try JSONValue.parse(Array(line.utf8))
        func nums(_ v: JSONValue?) -> [Double] { v?.arrayValue?.compactMap(\.doubleValue) ?? [] }
        func get(_ o: JSONValue, _ k: String) -> JSONValue? { o.members?.first { $0.0 == k }?.1 }
        let hfC = nums(get(res, "policy_chosen")), hfR = nums(get(res, "policy_rejected"))
        let hfRefC = nums(get(res, "ref_chosen")), hfRefR = nums(get(res, "ref_rejected"))
        try #require(hfC.count == pairs.count && hfRefR.count == pairs.count)
        // 1. Summed response log-probs: Spindle vs transformers.
        let sc = DPOScorer(config: policy.config, rows: 4, seqLen: 64)
        let ours = sc.logProbs(policy, pairs, Array(pairs.indices)), oursRef = sc.logProbs(refModel, pairs, Array(pairs.indices))
        var worstLP = 0.0
        for i in pairs.indices {
            for (a, b) in [(ours[i]!.chosen, hfC[i]), (ours[i]!.rejected, hfR[i]), (oursRef[i]!.chosen, hfRefC[i]), (oursRef[i]!.rejected, hfRefR[i])] {
                worstLP = max(worstLP, abs(a - b))
            }
        }
        #expect(worstLP < 1e-4, "summed log-probs differ by \(worstLP)")
        // 2. Loss, gradient and logged rewards on TRL's log-probs; the loss on Spindle's own log-probs too.
        let settings = ["sigmoid": dpoSettings(.sigmoid, beta: 0.1), "ipo": dpoSettings(.ipo, beta: 0.5),
                        "cdpo": dpoSettings(.sigmoid, beta: 0.5, smoothing: 0.2)]
        var worstLoss = 0.0, worstGrad = 0.0, worstOwn = 0.0
        for run in get(res, "runs")?.arrayValue ?? [] {
            let name = get(run, "name")?.stringValue ?? "", s = try #require(settings[name])
            let trlLoss = get(run, "loss")!.doubleValue!, d = nums(get(run, "d"))
            #expect(get(run, "d_spread")!.doubleValue! < 1e-7, "\(name): TRL's per-token gradient is not uniform over a response")
            var loss = 0.0, own = 0.0, rc = 0.0, rr = 0.0, correct = 0.0
            let n = Double(pairs.count)
            for i in pairs.indices {
                let lp = DPOPairLogProbs(chosen: hfC[i], rejected: hfR[i], refChosen: hfRefC[i], refRejected: hfRefR[i],
                                         chosenTokens: pairs[i].chosen.count - pairs[i].promptLength,
                                         rejectedTokens: pairs[i].rejected.count - pairs[i].promptLength)
                let l = dpoLoss(lp, degree: pairs[i].degree, settings: s)
                loss += l.loss / n; rc += l.rewardChosen / n; rr += l.rewardRejected / n; correct += l.correct ? 1 / n : 0
                worstGrad = max(worstGrad, abs(l.dChosen / n - d[i]), abs(l.dRejected / n - d[pairs.count + i]))
                let o = ours[i]!, orf = oursRef[i]!
                own += dpoLoss(DPOPairLogProbs(chosen: o.chosen, rejected: o.rejected, refChosen: orf.chosen, refRejected: orf.rejected,
                                               chosenTokens: o.chosenTokens, rejectedTokens: o.rejectedTokens),
                               degree: pairs[i].degree, settings: s).loss / n
            }
            worstLoss = max(worstLoss, abs(loss - trlLoss)); worstOwn = max(worstOwn, abs(own - trlLoss))
            #expect(abs(loss - trlLoss) < 1e-5, "\(name): spindle \(loss), TRL \(trlLoss)")
            #expect(abs(own - trlLoss) < 1e-4, "\(name): spindle on its own log-probs \(own), TRL \(trlLoss)")
            #expect(abs(rc - get(run, "rewards_chosen")!.doubleValue!) < 1e-5 && abs(rr - get(run, "rewards_rejected")!.doubleValue!) < 1e-5)
            #expect(abs(correct - get(run, "reward_accuracy")!.doubleValue!) < 1e-9)
            #expect(abs((rc - rr) - get(run, "reward_margin")!.doubleValue!) < 1e-5)
        }
        #expect(worstGrad < 1e-5, "gradient differs by \(worstGrad)")
        print("dpo vs TRL: summed log-probs max |Δ| \(worstLP); loss max |Δ| \(worstLoss) (on Spindle's log-probs \(worstOwn)); ∂L/∂log π max |Δ| \(worstGrad)")
    }
}

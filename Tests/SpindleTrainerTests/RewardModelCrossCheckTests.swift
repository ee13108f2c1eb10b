// Cross-check with transformers' LlamaForSequenceClassification (needs torch + transformers):
// a Spindle reward-model checkpoint loads in transformers and gives the same score at the last token.
import Foundation
import Testing
import SpindleIO
@testable import SpindleTrainer
import SpindleTestSupport

@Suite(.requires(.python("torch", "transformers")))
struct RewardModelCrossCheckTests {
    @Test func scoresMatchTransformers() throws {
        let tmp = TempDir("rm-hf"); defer { tmp.cleanup() }
        let dir = tmp.sub("rm")
        let lm = try trainedSpindleCheckpoint(tied: false, dir: tmp.sub("lm"))
        let rm = try RewardModel.fromLanguageModel(lm, seed: 4)
        try Checkpoint.save(rm, to: dir)
        var r = SeededRandom(seed: 3)
        let seqs: [[Int32]] = (0..<4).map { i in (0..<(5 + 17 * i)).map { _ in Int32(3 + r.next() % 60) } }   // no pad id 0
        let ours = RewardModel(model: rm, rows: 2, seqLen: 64).score(seqs)
        let list = "[" + seqs.map { "[" + $0.map(String.init).joined(separator: ",") + "]" }.joined(separator: ",") + "]"
        let script = """
        import torch
        from transformers import LlamaForSequenceClassification
        m = LlamaForSequenceClassification.from_pretrained('\(dir)', torch_dtype=torch.float32).eval()
        with torch.no_grad():
            for s in \(list):
                print(float(m(torch.tensor([s])).logits[0, 0]))
        """
        let out = try Python.script(script)
        #expect(out.status == 0, "\(out.output.suffix(2000))")
        let theirs = out.output.split(separator: "\n").compactMap { Float($0) }
        #expect(theirs.count == seqs.count, "\(out.output.suffix(2000))")
        for (a, b) in zip(ours, theirs) { #expect(abs(a - b) < 1e-4, "spindle \(a), transformers \(b)") }
        print("reward-model scores vs transformers: \(zip(ours, theirs).map { abs($0 - $1) }.max() ?? .nan) max |Δ|")
    }
}

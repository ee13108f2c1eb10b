// Cross-check with transformers' LlamaForCausalLM (needs torch + transformers, which `.ci/python-env`
// installs, and ../shared/bench/peers): per-token log-probs agree to 1e-4 in both directions, tied
// and untied, and a llama2.c file (Meta rotary layout) loads to exactly the HF weights.
// Python starts twice in all (torch imports are slow): once for the fixtures, once for the logits.
import Foundation
import Testing
import SpindleIO
@testable import SpindleTrainer
import SpindleTestSupport

let peers = TestPaths.sharedPeers

extension Requirement {
    /// transformers + torch in the Python peers' interpreter, and the peer scripts in ../shared/bench/peers.
    static var transformers: Requirement {
        let py = Requirement.python("torch", "transformers", "safetensors", "numpy")
        let scripts = [Requirement.sharedPeer("hf_llama_logits.py"), .sharedPeer("make_tiny_hf_llama.py")]
        let missing = ([py] + scripts).filter { !$0.isMet }
        return Requirement(missing.isEmpty, missing.map(\.reason).joined(separator: "; "))
    }
}

func readLogProbs(_ path: String) throws -> [[Double]] {
    try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        .dropLast().map { $0.split(separator: " ").map { Double($0)! } }
}

/// A Spindle model trained for 20 steps (so weights are not just an initialisation), saved in HF layout.
func trainedSpindleCheckpoint(tied: Bool, dir: String) throws -> LlamaModel {
    var c = TrainConfig(model: LlamaConfig(dim: 64, nLayers: 2, nHeads: 4, nKVHeads: 2, hiddenDim: 172, vocabSize: 512,
                                           maxSeqLen: 256, tieEmbeddings: tied))
    c.seqLen = 64; c.batchSize = 2; c.steps = 20; c.lr = 3e-3; c.warmupSteps = 2
    var rng = SeededRandom(seed: 9)
    let docs = (0..<12).map { _ in (0..<40).map { _ in Int32(3 + rng.next() % 60) } }   // a small sub-vocabulary
    let t = try Trainer(config: c, source: InMemoryBatchSource.packing(documents: docs, seqLen: 64))
    for _ in 0..<20 { try t.step() }
    try Checkpoint.save(t.model, to: dir)
    let seqs = (0..<6).map { i in (0..<(i == 0 ? 1 : 64)).map { _ in String(3 + rng.next() % 60) }.joined(separator: " ") }
    try (seqs.joined(separator: "\n") + "\n").write(toFile: dir + "/tokens.txt", atomically: true, encoding: .utf8)
    return t.model
}

@Suite(.requires(.transformers))
struct HuggingFaceCrossCheckTests {
    /// Max |Δ log p| between DIR/hf_lp.txt (transformers) and Spindle's scorer over DIR/tokens.txt.
    func compare(dir: String, model: LlamaModel) throws -> (Double, Int) {
        let ref = try readLogProbs(dir + "/hf_lp.txt")
        let lines = try String(contentsOfFile: dir + "/tokens.txt", encoding: .utf8).split(separator: "\n")
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

    @Test func bothDirectionsTiedAndUntied() throws {
        let tmp = TempDir("hfx"); defer { tmp.cleanup() }
        let root = tmp.path
        // transformers-written checkpoints (+ the same weights as a llama2.c v0 file).
        let hfDirs = [false, true].map { root + "/hf-\($0 ? "tied" : "untied")" }
        let made = try Python.scripts(zip(hfDirs, [false, true]).map { dir, tied in
            [peers + "/make_tiny_hf_llama.py", dir, "--tokens", "8", "--llama2c-bin"] + (tied ? ["--tied"] : [])
        })
        #expect(made.status == 0, "\(made.output)")
        // Spindle-written checkpoints.
        let spDirs = [false, true].map { root + "/sp-\($0 ? "tied" : "untied")" }
        let spModels = try zip(spDirs, [false, true]).map { try trainedSpindleCheckpoint(tied: $1, dir: $0) }
        // transformers' log-probs for all four.
        let ref = try Python.scripts((hfDirs + spDirs).map {
            [peers + "/hf_llama_logits.py", $0, $0 + "/tokens.txt", "--logprobs-out", $0 + "/hf_lp.txt"]
        })
        #expect(ref.status == 0, "\(ref.output)")
        for (dir, tied) in zip(hfDirs, [false, true]) {
            let hf = try Checkpoint.load(dir)
            let (worst, n) = try compare(dir: dir, model: hf)
            #expect(n > 300 && worst <= 1e-4, "HF → Spindle (tied \(tied)): max |Δ log p| \(worst) over \(n) tokens")
            print("HF → Spindle (tied \(tied)): max |Δ log p| \(worst) over \(n) tokens")
            let l2c = try Checkpoint.loadLlama2c(dir + "/model.bin")
            #expect(l2c.config.tieEmbeddings == tied && Array(l2c.parameters) == Array(hf.parameters),
                    "llama2.c file: q/k rows permuted Meta → HF exactly")
        }
        for (i, dir) in spDirs.enumerated() {
            let (worst, n) = try compare(dir: dir, model: spModels[i])
            #expect(n > 300 && worst <= 1e-4, "Spindle → HF (tied \(i == 1)): max |Δ log p| \(worst) over \(n) tokens")
            print("Spindle → HF (tied \(i == 1)): max |Δ log p| \(worst) over \(n) tokens")
        }
    }
}

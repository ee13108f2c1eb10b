// Optional cross-check with transformers' LlamaForCausalLM (skips when python3 cannot import torch and
// transformers, or ../shared is absent): per-token log-probs agree to 1e-4 in both directions.
import Foundation
import Testing
@testable import SpindleTrainer

let peers = sharedData.deletingLastPathComponent().appendingPathComponent("bench/peers").path

func python(_ args: [String]) -> (status: Int32, output: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["python3"] + args
    let pipe = Pipe()
    p.standardOutput = pipe; p.standardError = pipe
    do { try p.run() } catch { return (-1, "\(error)") }
    let out = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: out, as: UTF8.self))
}

let transformersAvailable: Bool = FileManager.default.fileExists(atPath: peers + "/hf_llama_logits.py")
    && python(["-c", "import torch, transformers, safetensors"]).status == 0

func readLogProbs(_ path: String) throws -> [[Double]] {
    try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        .dropLast().map { $0.split(separator: " ").map { Double($0)! } }
}

@Suite(.enabled(if: transformersAvailable, "python3 with torch + transformers and ../shared/bench/peers"), .serialized)
struct HuggingFaceCrossCheckTests {
    /// Max |Δ log p| between transformers on DIR and Spindle's scorer on `model`, over DIR/tokens.txt.
    func compare(dir: String, model: LlamaModel) throws -> (Double, Int) {
        let r = python([peers + "/hf_llama_logits.py", dir, dir + "/tokens.txt", "--logprobs-out", dir + "/hf_lp.txt"])
        #expect(r.status == 0, "\(r.output)")
        let ref = try readLogProbs(dir + "/hf_lp.txt")
        let lines = try String(contentsOfFile: dir + "/tokens.txt", encoding: .utf8).split(separator: "\n")
        let scorer = Scorer(model: model)
        var worst = 0.0, n = 0
        for (line, want) in zip(lines, ref) {
            let got = try scorer.logProbs(line.split(separator: " ").map { Int32($0)! })
            #expect(got.count == want.count)
            for (g, w) in zip(got, want) { worst = max(worst, abs(Double(g) - w)); n += 1 }
        }
        return (worst, n)
    }

    @Test(arguments: [false, true])
    func transformersCheckpointLoadsInSpindle(tied: Bool) throws {
        let dir = tempDir("hf-\(tied)")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = python([peers + "/make_tiny_hf_llama.py", dir, "--tokens", "8"] + (tied ? ["--tied"] : []))
        #expect(r.status == 0, "\(r.output)")
        let (worst, n) = try compare(dir: dir, model: try Checkpoint.load(dir))
        #expect(n > 300 && worst <= 1e-4, "HF → Spindle: max |Δ log p| \(worst) over \(n) tokens")
        print("HF → Spindle (tied \(tied)): max |Δ log p| \(worst) over \(n) tokens")
    }

    @Test(arguments: [false, true])
    func spindleCheckpointLoadsInTransformers(tied: Bool) throws {
        // Train a little so the weights are not just an initialisation, then save in HF layout.
        var c = TrainConfig(model: LlamaConfig(dim: 64, nLayers: 2, nHeads: 4, nKVHeads: 2, hiddenDim: 172, vocabSize: 512,
                                               maxSeqLen: 256, tieEmbeddings: tied))
        c.seqLen = 64; c.batchSize = 2; c.steps = 20; c.lr = 3e-3; c.warmupSteps = 2
        var rng = SeededRandom(seed: 9)
        let docs = (0..<12).map { _ in (0..<40).map { _ in Int32(3 + rng.next() % 60) } }   // a small sub-vocabulary
        let t = try Trainer(config: c, source: InMemoryBatchSource.packing(documents: docs, seqLen: 64))
        for _ in 0..<20 { try t.step() }
        let dir = tempDir("sp-\(tied)")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Checkpoint.save(t.model, to: dir)
        let seqs = (0..<6).map { i in (0..<(i == 0 ? 1 : 64)).map { _ in String(3 + rng.next() % 60) }.joined(separator: " ") }
        try (seqs.joined(separator: "\n") + "\n").write(toFile: dir + "/tokens.txt", atomically: true, encoding: .utf8)
        let (worst, n) = try compare(dir: dir, model: t.model)
        #expect(n > 300 && worst <= 1e-4, "Spindle → HF: max |Δ log p| \(worst) over \(n) tokens")
        print("Spindle → HF (tied \(tied)): max |Δ log p| \(worst) over \(n) tokens")
    }
}

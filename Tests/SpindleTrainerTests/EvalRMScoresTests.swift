// `spindle eval rm --scores`: each held-out pair's two rewards, in input order, agreeing with the
// accuracy it prints and with the model scored in process; the same run twice gives the same bytes.
import Foundation
import SpindleIO
import SpindleTestSupport
import SpindleTrainer
import Testing

@Suite(.requires(.spindleBinary, .llama2Tokenizer, .sharedData("preference/hh-rlhf/harmless-base-part-a.jsonl.gz")))
struct EvalRMScoresTests {
    @Test func scoresFileMatchesTheAccuracyAndIsDeterministic() throws {
        let tmp = TempDir("rm-scores"); defer { tmp.cleanup() }
        // Twelve real HH pairs, as `convert hh` writes them.
        let converted = try SpindleBinary.run(["convert", "hh", "--aspect", "safety",
                                               SharedData.path("preference/hh-rlhf/harmless-base-part-a.jsonl.gz")])
        #expect(converted.status == 0, "\(converted.stderr)")
        let pairs = converted.stdout.split(separator: "\n").prefix(12).map(String.init)
        let input = try tmp.file("pairs.jsonl", pairs)
        // A small untrained reward model with the Llama 2 vocabulary: its rewards differ per answer.
        let config = LlamaConfig(dim: 16, nLayers: 1, nHeads: 2, nKVHeads: 1, hiddenDim: 24, vocabSize: 32000, maxSeqLen: 128)
        let rm = try RewardModel.untrained(config, seed: 9, head: RewardHead(pooling: .meanResponse))
        try Checkpoint.save(rm, to: tmp.sub("rm"))

        func run(_ name: String) throws -> (accuracy: Double, scores: [(Double, Double)], bytes: Data) {
            let r = try SpindleBinary.run(["eval", "rm", "--checkpoint", tmp.sub("rm"), "--tokenizer", SharedData.llama2Model,
                                           "--scores", tmp.sub(name), input])
            #expect(r.status == 0, "\(r.stderr)")
            let last = r.stdout.split(separator: "\n").last.map(String.init) ?? ""
            let bytes = try Data(contentsOf: URL(fileURLWithPath: tmp.sub(name)))
            let rows = try String(decoding: bytes, as: UTF8.self).split(separator: "\n").map { line -> (Double, Double) in
                let o = try JSONValue.parse(String(line))
                return (o["chosen"]?.doubleValue ?? .nan, o["rejected"]?.doubleValue ?? .nan)
            }
            return (Double(last.split(separator: " ").last ?? "") ?? .nan, rows, bytes)
        }
        let a = try run("a.jsonl"), b = try run("b.jsonl")
        #expect(a.scores.count == 12)
        #expect(a.scores.allSatisfy { $0.0.isFinite && $0.1.isFinite && $0.0 != $0.1 })
        let wins = a.scores.filter { $0.0 > $0.1 }.count
        #expect(abs(a.accuracy - Double(wins) / 12) < 1e-4)
        #expect(a.bytes == b.bytes)
    }
}

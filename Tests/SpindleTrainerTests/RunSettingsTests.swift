// The post-training runs' settings (what `spindle train sft|rm|rejection|ppo` build from their flags):
// what --print-config shows, the checks made before anything is loaded, the PPO hold-out split and
// the rejection SFT seeds.
import Foundation
import Testing
import SpindleTestSupport
import SpindleIO
@testable import SpindleTrainer

@Suite struct RunSettingsTests {
    func keys(_ v: JSONValue) -> [String] { (v.members ?? []).map(\.0) }

    @Test func settingsJSONShowsThePresetWithoutTheModel() {
        var cfg = TrainConfig(model: tinyConfig())
        cfg.seed = 7
        let sft = SFTSettings(config: cfg, trainData: "shards/sft", output: "runs/sft")
        #expect(keys(sft.json) == ["init", "train_data", "eval_data", "output", "epochs", "steps", "resume", "config"])
        let preset = sft.json.objectValue?["config"]
        #expect(keys(preset ?? .null) == ["training", "eval", "output"])
        #expect(preset?.objectValue?["training"]?.objectValue?["seed"] == .int(7))

        let rm = RewardSettings(config: cfg, trainData: "shards/rm", output: "runs/rm")
        #expect(rm.json.objectValue?["margin"] == .string("small"))
        var rj = RejectionSettings(prompts: "p", helpfulnessRM: "h", output: "o", sft: cfg)
        rj.temperatures = [0.5, 1]
        #expect(rj.json.objectValue?["temperatures"] == .array([.number("0.5"), .number("1.0")]))
        #expect(keys(rj.json.objectValue?["sft"] ?? .null) == ["training", "eval", "output"])
    }

    @Test func ppoSettingsJSONLeavesOutTheSeqLenTheReferenceSets() {
        let s = PPORunSettings(ppo: PPOSettings(), initFrom: "i", prompts: "p", helpfulnessRM: "h", output: "o")
        let ppo = s.json.objectValue?["ppo"]
        #expect(ppo?.objectValue?["seq_len"] == nil)
        #expect(ppo?.objectValue?["prompts_per_iteration"] == .int(16))
        #expect(s.json.objectValue?["holdout"] == .number("0.2"))
    }

    @Test func ppoHoldsOutEveryKthPrompt() {
        let prompts = (0..<10).map { SamplingPrompt(id: "\($0)", tokens: [1], isSafety: false) }
        let (train, held) = PPORun.split(prompts, holdout: 0.2)
        #expect(held.map(\.id) == ["4", "9"])
        #expect(train.count == 8)
        #expect(PPORun.split(prompts, holdout: 0).heldOut.isEmpty)
        #expect(PPORun.split(prompts, holdout: 0.9).heldOut.map(\.id) == ["1", "3", "5", "7", "9"])
    }

    @Test func runsRefuseAMissingStartBeforeLoadingAnything() throws {
        let tmp = TempDir("settings-refuse"); defer { tmp.cleanup() }
        let out = tmp.sub("run")
        let cfg = TrainConfig(model: tinyConfig())
        #expect(throws: TrainerError.self) { try SFT.run(SFTSettings(config: cfg, trainData: "x", output: out), log: { _ in }) }
        #expect(throws: TrainerError.self) { try RewardTraining.run(RewardSettings(config: cfg, trainData: "x", output: out), log: { _ in }) }
        var rj = RejectionSettings(prompts: "x", helpfulnessRM: "x", output: out, sft: cfg)
        #expect(throws: TrainerError.self) { try RejectionRun.run(rj, log: { _ in }, out: { _ in }) }
        rj.initFrom = "/nonexistent"
        rj.resume = true   // resuming needs a finished iteration in the output directory
        #expect(throws: TrainerError.self) { try RejectionRun.run(rj, log: { _ in }, out: { _ in }) }
        try? FileManager.default.removeItem(atPath: out)
    }

    @Test func rejectionSFTSeedsDifferPerIteration() {
        #expect(RejectionRun.sftSeed(1234, 0) == 1234)
        #expect(RejectionRun.sftSeed(1234, 1) == 1234 &+ 0x9E37_79B9_7F4A_7C15)
        #expect(Set((0..<8).map { RejectionRun.sftSeed(1, $0) }).count == 8)
    }

    @Test func summaryLines() {
        #expect(RewardTraining.summaryLine((steps: 3, loss: 0.5, evalAccuracy: 0.75)) == "steps 3  final loss 0.5000  held-out accuracy 0.7500")
        #expect(RewardTraining.summaryLine((steps: 3, loss: 0.5, evalAccuracy: nil)) == "steps 3  final loss 0.5000")
        #expect(PPORun.summaryLine((stats: [], eval: [], stoppedEarly: false)) == nil)
    }
}

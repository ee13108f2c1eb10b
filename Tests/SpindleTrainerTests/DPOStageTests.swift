// The DPO stage on a tiny model: it learns a planted preference (rewards move apart, accuracy rises),
// an interrupted and resumed run equals the uninterrupted one bit for bit, and the stored reference
// file is reused while its key matches, recomputed when it changes, and refused when resuming.
import Foundation
import Testing
import SpindleIO
@testable import SpindleTrainer
import SpindleTestSupport

@Suite(.serialized) struct DPOStageTests {
    func readMetrics(_ dir: String) throws -> [[(String, JSONValue)]] {
        try String(contentsOfFile: dir + "/metrics.jsonl", encoding: .utf8).split(separator: "\n").map {
            try JSONValue.parse(Array($0.utf8)).members!
        }
    }

    @Test func tinyPolicyLearnsAPlantedPreferenceAndResumesExactly() throws {
        let tmp = TempDir("dpo"); defer { tmp.cleanup() }
        let initDir = tmp.sub("sft"), a = tmp.sub("a"), b = tmp.sub("b")
        try Checkpoint.save(try tinyModel(), to: initDir)
        let train = plantedDPOPairs(48, seed: 1), held = plantedDPOPairs(16, seed: 2)
        let key = DPOReferenceKey(shards: "planted-48+16", reference: "tiny", seqLen: 16, pairs: 64)
        let s = dpoSettings(.sigmoid, beta: 0.5, smoothing: 0.05, margins: .small)
        var logs: [String] = []
        let r = try DPOTraining.run(config: tinyDPOConfig(out: a, steps: 24), initFrom: initDir, pairs: train, eval: held, loss: s,
                                    reference: .once(key: key), stamp: nil, resume: false, log: { logs.append($0) })
        #expect((r.evalAccuracy ?? 0) >= 0.9, "held-out reward accuracy \(r.evalAccuracy ?? .nan)")
        #expect((r.evalMargin ?? 0) > 0)
        let lines = try readMetrics(a).filter { $0.contains { $0.0 == "loss" } }
        #expect(lines.count == 24)
        let first = lines.first!, last = lines.last!
        func v(_ l: [(String, JSONValue)], _ k: String) -> Double { l.first { $0.0 == k }!.1.doubleValue! }
        #expect(abs(v(first, "loss") - log(2)) < 0.3, "first loss \(v(first, "loss"))")   // policy = reference at step 1 (margins aside)
        #expect(v(last, "loss") < v(first, "loss") && v(last, "reward_margin") > 0 && v(last, "rewards_chosen") > v(last, "rewards_rejected"))
        #expect(FileManager.default.fileExists(atPath: a + "/" + DPOReferenceFile.name))
        // The same run in two halves: the second reads the stored reference file.
        _ = try DPOTraining.run(config: tinyDPOConfig(out: b, steps: 24), initFrom: initDir, pairs: train, eval: held, loss: s,
                                reference: .once(key: key), stamp: nil, resume: false, stopAt: 12, log: { _ in })
        logs = []
        _ = try DPOTraining.run(config: tinyDPOConfig(out: b, steps: 24), initFrom: initDir, pairs: train, eval: held, loss: s,
                                reference: .once(key: key), stamp: nil, resume: true, log: { logs.append($0) })
        #expect(logs.contains { $0.contains("reference log-probs from") })
        let ma = try Checkpoint.load(a + "/checkpoint"), mb = try Checkpoint.load(b + "/checkpoint")
        #expect(ma.parameters.elementsEqual(mb.parameters), "resumed run differs")
        #expect(try String(contentsOfFile: a + "/metrics.jsonl", encoding: .utf8).split(separator: "\n").map { $0.replacing(/"seconds": [0-9.]+/, with: "") }
                == String(contentsOfFile: b + "/metrics.jsonl", encoding: .utf8).split(separator: "\n").map { $0.replacing(/"seconds": [0-9.]+/, with: "") })
        // A changed data set: refused on resume, recomputed by a new run.
        let changed = DPOReferenceKey(shards: "other", reference: "tiny", seqLen: 16, pairs: 64)
        #expect(throws: TrainerError.self) {
            try DPOTraining.run(config: tinyDPOConfig(out: b, steps: 30), initFrom: initDir, pairs: train, eval: held, loss: s,
                                reference: .once(key: changed), stamp: nil, resume: true, log: { _ in })
        }
        logs = []
        _ = try DPOTraining.run(config: tinyDPOConfig(out: b, steps: 2), initFrom: initDir, pairs: train, eval: held, loss: s,
                                reference: .once(key: changed), stamp: nil, resume: false, log: { logs.append($0) })
        #expect(logs.contains { $0.contains("the training shards changed") && $0.contains("recomputing") })
        #expect(try DPOReferenceFile.load(b + "/" + DPOReferenceFile.name)?.key == changed)
    }

    @Test func referenceOnTheFlyAgreesWithTheStoredFile() throws {
        let tmp = TempDir("dpo-fly"); defer { tmp.cleanup() }
        let initDir = tmp.sub("sft")
        try Checkpoint.save(try tinyModel(), to: initDir)
        let train = plantedDPOPairs(24, seed: 4)
        let s = dpoSettings(.ipo, beta: 0.5)
        let once = try DPOTraining.run(config: tinyDPOConfig(out: tmp.sub("once"), steps: 6), initFrom: initDir, pairs: train, eval: [], loss: s,
                                       reference: .once(key: nil), stamp: nil, resume: false, log: { _ in })
        let fly = try DPOTraining.run(config: tinyDPOConfig(out: tmp.sub("fly"), steps: 6), initFrom: initDir, pairs: train, eval: [], loss: s,
                                      reference: .onTheFly, stamp: nil, resume: false, log: { _ in })
        #expect(abs(once.loss - fly.loss) < 1e-4, "once \(once.loss), on the fly \(fly.loss)")
        #expect(!FileManager.default.fileExists(atPath: tmp.sub("fly") + "/" + DPOReferenceFile.name))
    }

    @Test func referenceFileRoundTripsAndRejectsDamage() throws {
        let tmp = TempDir("dpo-file"); defer { tmp.cleanup() }
        let path = tmp.sub("ref.json")
        let key = DPOReferenceKey(shards: "a", reference: "b", seqLen: 16, pairs: 2)
        let e = [DPOReferenceEntry(chosen: -1.2345678901234567, rejected: -0.1, chosenTokens: 3, rejectedTokens: 4),
                 DPOReferenceEntry(chosen: -1e-300, rejected: -123456.789, chosenTokens: 1, rejectedTokens: 9)]
        try DPOReferenceFile.save(e, key: key, to: path)
        let back = try #require(try DPOReferenceFile.load(path))
        #expect(back.key == key && back.entries == e)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        try text.replacingOccurrences(of: "\"pairs\":2", with: "\"pairs\":3").write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: TrainerError.self) { try DPOReferenceFile.load(path) }
        #expect(try DPOReferenceFile.load(tmp.sub("absent.json")) == nil)
    }
}

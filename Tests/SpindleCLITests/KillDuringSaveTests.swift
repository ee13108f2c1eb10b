// A run killed (SIGKILL) at each phase of a checkpoint save resumes to exactly the checkpoint an
// uninterrupted run writes (issue 12 item 1). The kill is sent the moment a file of the phase appears
// in the save's staging directory, so it lands inside the save, not between steps.
import Foundation
import Testing
import SpindleTestSupport

@Suite(.requires(.spindleBinary), .serialized) struct KillDuringSaveTests {
    static let config = TinyTrainConfig(dim: 64, layers: 2, heads: 4, kvHeads: 2, hidden: 172, vocab: 4000,
                                        steps: 8, checkpointEvery: 1).json

    static func ids() -> String {
        var s = "", x: UInt64 = 12345
        for _ in 0..<40 {
            s += (0..<50).map { _ in x = x &* 6364136223846793005 &+ 1442695040888963407; return String((x >> 33) % 4000) }.joined(separator: " ") + "\n"
        }
        return s
    }

    func train(_ dir: TempDir, _ out: String, resume: Bool = false) -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: SpindleBinary.path)
        p.arguments = ["train", "pretrain", "--config", dir.sub("c.json"), "--train-data", dir.sub("ids.txt"), "--output", out]
            + (resume ? ["--resume"] : [])
        p.standardError = FileHandle.nullDevice
        p.standardOutput = FileHandle.nullDevice
        return p
    }

    /// Starts a run and SIGKILLs it when `file` first appears in a save's staging directory, from the
    /// `save`-th save on. Returns true if the kill landed inside a save.
    func killDuringSave(_ dir: TempDir, _ out: String, file: String, save: Int) throws -> Bool {
        let p = train(dir, out)
        try p.run()
        let staging = out + "/.checkpoint.saving-\(p.processIdentifier)"
        var seen = 0, wasThere = false
        while p.isRunning {
            let there = FileManager.default.fileExists(atPath: staging + "/" + file)
            if there && !wasThere {
                seen += 1
                if seen >= save { kill(p.processIdentifier, SIGKILL); p.waitUntilExit(); return true }
            }
            wasThere = there
            usleep(200)
        }
        return false
    }

    func checkpointFiles(_ dir: String) -> [String: Data] {
        Dictionary(uniqueKeysWithValues: ["model.safetensors", "optimizer.safetensors", "trainer_state.json", "config.json"].map {
            ($0, FileManager.default.contents(atPath: dir + "/checkpoint/" + $0) ?? Data())
        })
    }

    /// The `step` of every metrics line, in file order.
    func steps(_ out: String) -> [Int] {
        let text = (try? String(contentsOfFile: out + "/metrics.jsonl", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["step"] as? Int
        }
    }

    @Test func anExistingRunIsNotReplacedWithoutOverwrite() throws {
        let dir = TempDir("kill-overwrite"); defer { dir.cleanup() }
        try dir.write("c.json", Self.config.replacingOccurrences(of: "\"steps\": 8", with: "\"steps\": 2"))
        try dir.write("ids.txt", Self.ids())
        func status(_ extra: [String]) throws -> Int32 {
            try runProcess(SpindleBinary.path, ["train", "pretrain", "--config", dir.sub("c.json"), "--train-data", dir.sub("ids.txt"),
                                                "--output", dir.sub("run")] + extra).status
        }
        #expect(try status([]) == 0)
        let before = checkpointFiles(dir.sub("run"))
        #expect(try status([]) == 64)   // refused: the first run is still there, untouched
        #expect(checkpointFiles(dir.sub("run")) == before)
        #expect(try status(["--overwrite"]) == 0)
    }

    @Test func resumeWithoutMetricsFileWorks() throws {
        let dir = TempDir("kill-metrics"); defer { dir.cleanup() }
        try dir.write("c.json", Self.config.replacingOccurrences(of: "\"steps\": 8", with: "\"steps\": 3"))
        try dir.write("ids.txt", Self.ids())
        let first = train(dir, dir.sub("run"))
        try first.run(); first.waitUntilExit()
        try FileManager.default.removeItem(atPath: dir.sub("run/metrics.jsonl"))
        try dir.write("c.json", Self.config.replacingOccurrences(of: "\"steps\": 8", with: "\"steps\": 5"))
        let resumed = train(dir, dir.sub("run"), resume: true)
        try resumed.run(); resumed.waitUntilExit()
        #expect(resumed.terminationStatus == 0)
        #expect(steps(dir.sub("run")) == [4, 5])
    }

    @Test func killedAtEveryPhaseOfASaveResumesToTheSameCheckpoint() throws {
        let dir = TempDir("kill-save"); defer { dir.cleanup() }
        try dir.write("c.json", Self.config)
        try dir.write("ids.txt", Self.ids())
        let straight = train(dir, dir.sub("straight"))
        try straight.run(); straight.waitUntilExit()
        #expect(straight.terminationStatus == 0)
        let expected = checkpointFiles(dir.sub("straight"))
        var landed = 0
        for (i, file) in ["model.safetensors", "optimizer.safetensors", "trainer_state.json", "config.json"].enumerated() {
            let out = dir.sub("run\(i)")
            if try killDuringSave(dir, out, file: file, save: 2 + i) { landed += 1 }
            // Whatever the kill interrupted, the live checkpoint is a complete one.
            let state = FileManager.default.contents(atPath: out + "/checkpoint/trainer_state.json")
            #expect(state != nil, "killed at \(file): no complete checkpoint")
            let resumed = train(dir, out, resume: true)
            try resumed.run(); resumed.waitUntilExit()
            #expect(resumed.terminationStatus == 0, "resume after a kill at \(file)")
            #expect(checkpointFiles(out) == expected, "killed while writing \(file): the resumed run's checkpoint differs")
            #expect(steps(out) == Array(1...8), "killed while writing \(file): metrics.jsonl must hold each step once")
        }
        #expect(landed >= 1, "no kill landed inside a save")
    }
}

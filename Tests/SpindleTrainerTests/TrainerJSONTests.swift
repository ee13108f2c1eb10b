// The trainer's JSON files through SpindleIO's reader and writer: paths with quotes and backslashes
// round-trip, errors name the file and field, and the written layouts are the ones checkpoints had.
import Foundation
import Testing
import SpindleTestSupport
import SpindleIO
@testable import SpindleTrainer

@Suite struct TrainerJSONTests {
    static let awkward = #"runs/a "quoted" dir\with\backslashes/é 🙂"#

    @Test func trainConfigWithAwkwardPathsRoundTrips() throws {
        var c = TrainConfig(model: tinyConfig())
        c.seqLen = 16
        c.trainData = Self.awkward + "/train.ids"
        c.evalData = "tab\there\nnewline.ids"
        c.outputDir = Self.awkward
        c.seed = UInt64.max
        let text = c.json()
        let back = try TrainConfig(json: try JSONValue.parse(text), path: "c.json")
        #expect(back == c)
        #expect(back.json() == text)
        let tmp = TempDir("trainer-json"), dir = tmp.path
        defer { tmp.cleanup() }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: dir + "/c.json"))
        #expect(try TrainConfig.load(dir + "/c.json") == c)
    }

    @Test func configLayoutIsOneSectionPerLine() {
        let lines = TrainConfig(model: tinyConfig()).json().split(separator: "\n")
        #expect(lines.count == 7)
        #expect(lines[1].hasPrefix(#"  "model": {"dim": "#))
        #expect(lines[4] == #"  "data": {"format": "ids"},"#)
    }

    @Test func errorsNameTheFileAndField() throws {
        let dup = #"{"model": {"dim": 64, "dim": 32}}"#
        #expect { try TrainConfig(json: try JSONValue.parse(dup), path: "c.json") } throws: { "\($0)".contains("duplicate key \"dim\"") }
        let wrong = try JSONValue.parse(#"{"model": {"dim": "64", "n_layers": 2, "n_heads": 4, "hidden_dim": 172, "vocab_size": 512, "max_seq_len": 256}}"#)
        #expect { try TrainConfig(json: wrong, path: "c.json") } throws: { e in
            let s = "\(e)"
            return s.contains("model.dim") && s.contains("c.json") && s.contains("must be a number")
        }
        let fraction = try JSONValue.parse(#"{"model": {"dim": 64.5, "n_layers": 2, "n_heads": 4, "hidden_dim": 172, "vocab_size": 512, "max_seq_len": 256}}"#)
        #expect { try TrainConfig(json: fraction, path: "c.json") } throws: { "\($0)".contains("must be an integer") }
    }

    @Test func huggingFaceConfigKeepsItsLayout() throws {
        var c = tinyConfig()
        c.scoreHead = true
        let text = c.huggingFaceJSON()
        #expect(text.hasPrefix("{\n  \"architectures\": [\"LlamaForSequenceClassification\"],\n  \"attention_bias\": false,\n"))
        #expect(text.contains("\n  \"rope_parameters\": {\"rope_theta\": 10000.0, \"rope_type\": \"default\"},\n"))
        #expect(text.hasSuffix("\n  \"num_labels\": 1,\n  \"pad_token_id\": 0\n}\n"))
        #expect(try LlamaConfig(huggingFace: try JSONValue.parse(text)) == c)
    }

    @Test func trainerStateAndStampRoundTrip() throws {
        var s = TrainerState()
        s.step = 300; s.cursor = 72; s.tokensSeen = 614_400; s.rngState = UInt64.max
        #expect(s.json() == "{\n  \"step\": 300,\n  \"cursor\": 72,\n  \"tokens_seen\": 614400,\n  \"rng_state\": \"18446744073709551615\"\n}\n")
        #expect(try TrainerState(json: JSONFields(parsing: Array(s.json().utf8), file: "t.json", errors: .format)) == s)
        #expect { try TrainerState(json: JSONFields(parsing: Array(#"{"step": 1, "cursor": 2}"#.utf8), file: "t.json", errors: .format)) }
            throws: { "\($0)".contains("t.json") && "\($0)".contains("rng_state") }
    }

    @Test func rejectionStateRoundTripsInItsLayout() throws {
        let tmp = TempDir("rejection-json"), dir = tmp.path
        defer { tmp.cleanup() }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let kept = [0: KeptSample(promptIndex: 0, response: [5, 6, 2], reward: -0.25, iteration: 1),
                    3: KeptSample(promptIndex: 3, response: [], reward: 1e-05, iteration: 2)]
        let path = dir + "/rejection_state.json"
        try RejectionReport.stateBytes(iteration: 2, kept: kept).write(to: URL(fileURLWithPath: path))
        #expect(try String(contentsOfFile: path, encoding: .utf8) == """
        {"iterations_done": 2, "kept": [
        {"prompt": 0, "reward": -0.25, "iteration": 1, "response": [5,6,2]},
        {"prompt": 3, "reward": 1e-05, "iteration": 2, "response": []}
        ]}

        """)
        let (n, back) = try RejectionReport.loadState(path)
        #expect(n == 2 && back == kept)
    }

    @Test func safetensorsHeaderEscapesNames() throws {
        let tmp = TempDir("st-json"), dir = tmp.path
        defer { tmp.cleanup() }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let values: [Float] = [1, 2, 3]
        let name = #"odd "name"\x"#
        try values.withUnsafeBufferPointer { b in
            try Safetensors.write(dir + "/m.safetensors", tensors: [(name, [3], b)])
        }
        let t = try Safetensors.read(dir + "/m.safetensors")
        #expect(t[name]?.values == values)
    }
}

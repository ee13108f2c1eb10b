// Batch sources: packing, the token-id text format and its errors; the run loop's outputs.
import Foundation
import Testing
@testable import SpindleTrainer
import SpindleTestSupport

@Suite struct DataSourceTests {
    @Test func packingSplitsLongDocumentsAndPadsTheTail() {
        let s = InMemoryBatchSource.packing(documents: [[1, 2, 3], [4, 5, 6, 7, 8], [9]], seqLen: 4)
        #expect(s.rowCount == 3)
        #expect(s.rows[0] == TrainingRow(tokens: [1, 2, 3, 4], segmentIds: [0, 0, 0, 1]))
        #expect(s.rows[1] == TrainingRow(tokens: [5, 6, 7, 8], segmentIds: [0, 0, 0, 0]))
        #expect(s.rows[2] == TrainingRow(tokens: [9, 0, 0, 0], segmentIds: [0, -1, -1, -1], lossMask: [1, 0, 0, 0]))
    }

    @Test func tokenTextFileAddsBOSAndEOSAndReportsBadLines() throws {
        let tmp = TempDir("ids"); defer { tmp.cleanup() }
        let dir = tmp.path
        try "5 6\n\n1 7 2\n".write(toFile: dir + "/a.txt", atomically: true, encoding: .utf8)
        let s = try TokenTextBatchSource(path: dir + "/a.txt", seqLen: 8)
        #expect(try s.row(0).tokens == [1, 5, 6, 2, 1, 7, 2, 0])
        #expect(try s.row(0).segmentIds == [0, 0, 0, 0, 1, 1, 1, -1])
        try "5 6\n7 -3\n".write(toFile: dir + "/b.txt", atomically: true, encoding: .utf8)
        #expect { try TokenTextBatchSource(path: dir + "/b.txt", seqLen: 8) } throws: { "\($0)".hasSuffix("b.txt:2: not a token id: \"-3\"") }
    }

    @Test func pretrainRunWritesMetricsReportAndCheckpoint() throws {
        var c = tinyTrainConfig(steps: 6)
        let tmp = TempDir("run"); defer { tmp.cleanup() }
        let out = tmp.path
        c.outputDir = out; c.evalEvery = 3; c.checkpointEvery = 3; c.logEvery = 2
        var lines: [String] = []
        let s = try Pretrain.run(config: c, train: tinySource(), eval: tinySource(seed: 2), log: { lines.append($0) })
        #expect(s.steps == 6 && s.evalLoss != nil)
        let metrics = try String(contentsOfFile: out + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(metrics.count == 6 + 2)   // 6 steps + evals at 3 and 6
        for m in metrics { #expect((try? JSONSerialization.jsonObject(with: Data(m.utf8))) is [String: Any]) }
        let html = try String(contentsOfFile: out + "/report.html", encoding: .utf8)
        #expect(html.contains("<svg") && html.contains("polyline") && html.contains("learning rate"))
        #expect(FileManager.default.fileExists(atPath: out + "/checkpoint/trainer_state.json"))
        #expect(lines.contains { $0.hasPrefix("step 6/6") })
    }
}

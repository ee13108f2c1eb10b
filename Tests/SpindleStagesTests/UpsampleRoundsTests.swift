// `upsample --round-records`: the records of each copy round, which spindle-ray uses to cut a block's
// output into rounds and restore the one-machine order (round 1 of the whole stream, then round 2, ...).
import Testing
import SpindleIO
@testable import SpindleStages
import SpindleTestSupport

@Suite struct UpsampleRoundsTests {
    @Test func roundRecordsCutTheOutputIntoItsRounds() throws {
        let dir = TempDir("stages"); defer { dir.cleanup() }
        var lines: [String] = []
        for i in 0..<300 { lines.append(#"{"id":"d\#(i)","text":"doc \#(i)","source":"\#(["wiki", "web", "book"][i % 3])"}"#) }
        var o = UpsampleOptions(); o.weights = ["wiki": 3.4, "web": 0.5, "book": 1.5]; o.seed = 3
        let whole = try dir.file("all.jsonl", lines)
        // Three blocks, each upsampled alone, cut by their round counts and reassembled round by round.
        var rounds: [[String]] = []
        for b in 0..<3 {
            let f = try dir.file("b\(b).jsonl", Array(lines[(b * 100)..<(b * 100 + 100)]))
            let out = try dir.out("o\(b).jsonl")
            let r = try UpsampleStage(options: o).run(inputs: [f], output: out)
            try out.commit()
            let got = try dir.read("o\(b).jsonl").split(separator: "\n").map(String.init)
            #expect(r.roundRecords.count == r.rounds && r.roundRecords.reduce(0, +) == got.count)
            #expect(r.roundRecords == r.roundRecords.sorted(by: >))   // round k+1 holds a subset of round k
            var at = 0
            for (k, n) in r.roundRecords.enumerated() {
                if rounds.count <= k { rounds.append([]) }
                rounds[k] += got[at..<(at + n)]
                at += n
            }
        }
        #expect(rounds.count == 4)
        let out = try dir.out("one.jsonl")
        _ = try UpsampleStage(options: o).run(inputs: [whole], output: out)
        try out.commit()
        #expect(rounds.flatMap { $0 }.joined(separator: "\n") + "\n" == (try dir.read("one.jsonl")))
    }
}

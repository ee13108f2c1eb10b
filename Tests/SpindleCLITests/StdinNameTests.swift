// --stdin-name / --stdin-line: a run of lines cut from a file and piped in (spindle-ray's blocks) gives
// the ids and the error locations of a run over the whole file.
import Foundation
import Testing
import SpindleTestSupport

@Suite(.requires(.spindleBinary)) struct StdinNameTests {
    static let lines = (1...7).map { #"{"text":"Document number \#($0) of the shard.","source":"web"}"# }

    @Test func blocksPipedInWithTheirNameAndFirstLineMatchTheWholeFile() throws {
        let dir = TempDir("stdin-name"); defer { dir.cleanup() }
        let file = try dir.file("shard.jsonl", Self.lines)
        let whole = try SpindleBinary.run(["ingest", "--format", "jsonl", "--source", "web", file])
        #expect(whole.status == 0 && whole.stdout.contains("web:\(file):7"))
        var pieces = ""
        for (start, end) in [(0, 3), (3, 7)] {
            let block = Self.lines[start..<end].joined(separator: "\n") + "\n"
            let r = try SpindleBinary.run(["ingest", "--format", "jsonl", "--source", "web", "--stdin-name", file, "--stdin-line", "\(start + 1)"], stdin: block)
            #expect(r.status == 0, "\(r.stderr)")
            pieces += r.stdout
        }
        #expect(pieces == whole.stdout)
        // Without the name, the ids would say stdin and restart at 1.
        let bare = try SpindleBinary.run(["ingest", "--format", "jsonl", "--source", "web"], stdin: Self.lines[3..<7].joined(separator: "\n") + "\n")
        #expect(bare.stdout.contains("web:stdin:1") && bare.stdout != whole.stdout)
    }

    @Test func errorsNameTheFileAndTheLineInIt() throws {
        let block = #"{"text":"fine"}"# + "\n" + #"{"body":"no text"}"# + "\n"
        let r = try SpindleBinary.run(["pii", "--stdin-name", "crawl/part-3.jsonl.zst", "--stdin-line", "4001"], stdin: block)
        #expect(r.status == 65)
        #expect(r.stderr.contains("crawl/part-3.jsonl.zst:4002: field 'text'"), "\(r.stderr)")
    }

    @Test func theLineNeedsAName() throws {
        #expect(try SpindleBinary.run(["pii", "--stdin-line", "5"], stdin: "").status == 64)
        #expect(try SpindleBinary.run(["pii", "--stdin-name", "-"], stdin: "").status == 64)
        #expect(try SpindleBinary.run(["pii", "--stdin-name", "x", "--stdin-line", "0"], stdin: "").status == 64)
    }
}

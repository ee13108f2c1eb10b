// A data command that reads records and writes none says so and exits 65, unless --allow-empty
// (issue 13 part 3): a whole input never vanishes with exit 0.
import Foundation
import Testing
import SpindleTestSupport

@Suite(.requires(.spindleBinary)) struct EmptyOutputTests {
    /// Documents that each carry an e-mail address and a phone number.
    static let docs = (1...5).map {
        #"{"id":"d\#($0)","text":"Write to person\#($0)@example.com or call +1 415 555 01\#($0 + 10) about item \#($0).","source":"web"}"#
    }.joined(separator: "\n") + "\n"
    static let alpaca = #"[{"instruction":"Name a colour.","input":"","output":"Blue."}]"#

    /// A run that empties a non-empty input: the command and its input.
    struct Emptying: CustomTestStringConvertible, Sendable {
        var args: [String]
        var stdin: String
        var testDescription: String { args.joined(separator: " ") }
    }

    static let emptying: [Emptying] = [
        Emptying(args: ["ingest", "--format", "jsonl", "--min-chars", "100000"], stdin: docs),
        Emptying(args: ["convert", "dolly", "--on-error", "skip"], stdin: alpaca),   // alpaca records have no "response"
        Emptying(args: ["convert", "alpaca", "--on-error", "skip"], stdin: docs),
        Emptying(args: ["dedup", "--on-error", "skip", "--text-field", "body"], stdin: docs),
        Emptying(args: ["pii", "--action", "drop"], stdin: docs),
        Emptying(args: ["upsample", "--weights", "web=0"], stdin: docs),
        Emptying(args: ["upsample", "--weights", "wiki=1", "--default-weight", "0"], stdin: docs),
    ]

    @Test(arguments: emptying) func emptyingANonEmptyInputFails(_ e: Emptying) throws {
        let tmp = TempDir("empty"); defer { tmp.cleanup() }
        let out = tmp.sub("out.jsonl")
        let refused = try CLI.run(e.args + ["-o", out], stdin: e.stdin)
        #expect(refused.status == 65, "\(e.testDescription) exits \(refused.status): \(refused.stderr)")
        #expect(refused.stderr.contains("none written") && refused.stderr.contains("--allow-empty"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out), "a refused run leaves no output file")
        let allowed = try CLI.run(e.args + ["--allow-empty"], stdin: e.stdin)
        #expect(allowed.status == 0, "\(e.testDescription) --allow-empty exits \(allowed.status): \(allowed.stderr)")
        #expect(allowed.stdout.isEmpty && allowed.stderr.contains("none written (--allow-empty)"))
    }

    /// The same commands keep working when something survives, and an empty input is no error.
    @Test func keepingOneRecordOrReadingNothingSucceeds() throws {
        let one = #"{"id":"a","text":"the same words","source":"web"}"#
        let repeated = String(repeating: one + "\n", count: 4)
        let dedup = try CLI.run(["dedup"], stdin: repeated)
        #expect(dedup.status == 0 && dedup.stdout == one + "\n", "dedup of one record repeated keeps it: \(dedup.stderr)")
        for args in [["convert", "alpaca"], ["pii"], ["ingest", "--format", "jsonl"], ["dedup", "--near"]] {
            let r = try CLI.run(args, stdin: "")
            #expect(r.status == 0, "\(args.joined(separator: " ")) on empty stdin exits \(r.status): \(r.stderr)")
        }
    }

    /// validate: no valid record is both the empty-output error and validate's own failure (65 even
    /// with --allow-empty: invalid records fail a validation).
    @Test func validateOfOnlyInvalidRecordsFails() throws {
        let r = try CLI.run(["validate", "--kind", "sft", "--on-error", "skip", "--echo"], stdin: Self.docs)
        #expect(r.status == 65 && r.stderr.contains("5 records read, none written"), "\(r.status): \(r.stderr)")
        let allowed = try CLI.run(["validate", "--kind", "sft", "--on-error", "skip", "--allow-empty"], stdin: Self.docs)
        #expect(allowed.status == 65 && allowed.stderr.contains("5 invalid"), "\(allowed.status): \(allowed.stderr)")
    }

    /// classify score: every line skipped leaves nothing to score.
    @Test func classifyScoreOfOnlyBadLinesFails() throws {
        let tmp = TempDir("empty"); defer { tmp.cleanup() }
        let wiki = try tmp.write("wiki.jsonl", (1...20).map { #"{"id":"w\#($0)","text":"The river flows through the valley of stone number \#($0)."}"# }.joined(separator: "\n"))
        let web = try tmp.write("web.jsonl", (1...20).map { #"{"id":"b\#($0)","text":"Buy now cheap deals click here offer \#($0)!!!"}"# }.joined(separator: "\n"))
        let train = try CLI.run(["classify", "train", "--factual", wiki, "--web", web, "-o", tmp.sub("f.spcl")])
        try #require(train.status == 0, "\(train.stderr)")
        let bad = String(repeating: #"{"id":"x","body":"no text field"}"# + "\n", count: 3)
        let r = try CLI.run(["classify", "score", "--model", tmp.sub("f.spcl"), "--on-error", "skip"], stdin: bad)
        #expect(r.status == 65 && r.stderr.contains("3 records read, none written"), "\(r.status): \(r.stderr)")
    }
}

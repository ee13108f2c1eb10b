import Foundation
import Testing
import SpindleIO
import SpindleTestSupport
@testable import SpindleStages

/// Options that name a field no record has, and marks that are not text, are errors or handled — never
/// silently ignored (issue 12 item 10).
@Suite struct SilentNoOpTests {
    static func withFile(_ contents: String, _ body: (String, String) throws -> Void) throws {
        let tmp = TempDir("noop"), dir = tmp.path
        defer { tmp.cleanup() }
        let path = dir + "/in"
        try Data(contents.utf8).write(to: URL(fileURLWithPath: path))
        try body(path, dir)
    }

    static let docs = (0..<6).map { #"{"id":"d\#($0)","text":"the same words again and again \#($0 % 2)","source":"web","quality":\#($0)}"# }
        .joined(separator: "\n") + "\n"

    @Test func upsampleByAMissingScoreFieldFails() throws {
        try Self.withFile(Self.docs) { path, dir in
            var o = UpsampleOptions()
            o.scoreField = "qualty"
            let out = try OutputFile(path: dir + "/out.jsonl")
            #expect(throws: InputError.self) { _ = try UpsampleStage(options: o).run(inputs: [path], output: out) }
            o.scoreField = "quality"; o.scoreAbove = 2; o.scoreFactor = 2
            let report = try UpsampleStage(options: o).run(inputs: [path], output: try OutputFile(path: dir + "/ok.jsonl"))
            #expect(report.scored == 6)
        }
    }

    @Test func dedupKeepByAMissingFieldFails() throws {
        try Self.withFile(Self.docs) { path, dir in
            var o = DedupOptions()
            o.mode = .near
            o.keep = .field("nosuchfield")
            #expect(throws: InputError.self) { _ = try DedupStage(options: o).run(inputs: [path], output: try OutputFile(path: dir + "/a")) }
            o.keep = .field("quality")
            _ = try DedupStage(options: o).run(inputs: [path], output: try OutputFile(path: dir + "/b"))
        }
    }

    @Test func textIngestDropsAByteOrderMark() throws {
        try Self.withFile("\u{FEFF}First line\nsecond\n") { path, _ in
            var docs: [Document] = []
            try TextIngest(source: "s", blocks: false).run(path: path) { docs.append($0) }
            #expect(docs.count == 1)
            #expect(docs.first?.text == "First line\nsecond")
        }
    }
}

/// `dedup apply` matches a removal list to its inputs however their paths are spelled, and refuses a
/// list that matches nothing.
@Suite struct DedupApplyPathTests {
    @Test func pathsAreMatchedCanonically() throws {
        try SilentNoOpTests.withFile(SilentNoOpTests.docs) { path, dir in
            let list = dir + "/removals.tsv"
            // The list names the file as dir/./in, the input is given as dir//in.
            var json: [UInt8] = []
            JSONString.append(dir + "/./in", to: &json)
            try Data((String(decoding: json, as: UTF8.self) + "\t2\n").utf8).write(to: URL(fileURLWithPath: list))
            let removals = try DedupClusterReducer.readRemovals(list)
            let r = try dedupApply(removals: removals, inputs: [dir + "//in"], output: try OutputFile(path: dir + "/out"))
            #expect(r.removed == 1 && r.kept == 5)
            _ = path
        }
    }

    @Test func aListForOtherFilesIsAnError() throws {
        try SilentNoOpTests.withFile(SilentNoOpTests.docs) { path, dir in
            let removals: Set<DocLocation> = [DocLocation(path: "/elsewhere/in", line: 2)]
            #expect(throws: InputError.self) {
                _ = try dedupApply(removals: removals, inputs: [path], output: try OutputFile(path: dir + "/out"))
            }
            #expect(DocLocation.canonical("a/./b//c/../d") == "a/b/d")
        }
    }
}

import Foundation
import Testing
import SpindleIO
@testable import SpindleTokenizer
import SpindleTestSupport

@Suite struct StreamTests {
    /// Streams through a pipe with 1 and 2 threads: identical output, errors name the line.
    @Test(.requires(.llama2Tokenizer))
    func streamEncodeAndDecodeWithThreads() throws {
        let m = try SharedData.llama2()
        let lines = (0..<3000).map { "line \($0): The quick brown fox ünïcödé 中文 🙂" } + [""]
        let input = lines.joined(separator: "\n") + "\n"
        func run(_ transforms: [LineTransform], _ text: String) throws -> String {
            let tmp = TempDir("stream"); defer { tmp.cleanup() }
            let inPath = try tmp.write("in", text), outPath = tmp.sub("out")
            let fi = try InputFile(path: inPath), fo = try OutputFile(path: outPath)
            try streamLines(input: fi, output: fo, transforms: transforms, blockSize: 4096)
            try fo.commit()
            return String(decoding: try Data(contentsOf: URL(fileURLWithPath: outPath)), as: UTF8.self)
        }
        let one = try run([EncodeLineTransform(model: m, options: EncodeLineOptions())], input)
        let two = try run([EncodeLineTransform(model: m, options: EncodeLineOptions()), EncodeLineTransform(model: m, options: EncodeLineOptions())], input)
        #expect(one == two)
        let outLines = one.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(outLines.count == lines.count + 1)
        #expect(outLines[0] == m.encode(lines[0]).map(String.init).joined(separator: " "))
        let decoded = try run([DecodeLineTransform(model: m, pieces: false)], one)
        #expect(decoded == input)
        var jsonOpts = EncodeLineOptions()
        jsonOpts.jsonlField = "text"
        do {
            _ = try run([EncodeLineTransform(model: m, options: jsonOpts)], "{\"text\":\"ok\"}\n{\"body\":\"x\"}\n")
            Issue.record("expected an error")
        } catch let e as InputError {
            #expect(e.line == 2 && e.field == "text")
        }
        let j = try run([EncodeLineTransform(model: m, options: jsonOpts)], "{\"id\":7,\"text\":\"Hello world\"}\n")
        #expect(j == "{\"id\":7,\"text\":\"Hello world\",\"ids\":[15043,3186]}\n")
    }
}

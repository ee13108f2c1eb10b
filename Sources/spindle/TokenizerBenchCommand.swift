import ArgumentParser
import Foundation
import SpindleTokenizer

struct TokenizerBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure encode/decode throughput on a text file (same method as sentencepiece's encode_bench.py).",
        discussion: """
        Encodes the non-empty lines of FILE (or its blank-line separated documents
        with --docs), best of --repeat runs, then decodes them; prints MB/s by wall
        and CPU time (MB = 1e6 input bytes).
          spindle tokenizer bench --model tokenizer.model corpus.txt --threads 2
        """)

    @Option(help: "SentencePiece .model file.") var model: String
    @Argument(help: "UTF-8 text file.") var file: String
    @Flag(help: "Items are documents separated by blank lines.") var docs = false
    @Option(help: "Runs; the best counts.") var `repeat`: Int = 3
    @Option(help: "Encoding threads.") var threads: Int = 1

    func run() throws {
        let m = try loadModel(model)
        guard let data = FileManager.default.contents(atPath: file) else { throw ValidationError("\(file): cannot read") }
        let items = benchmarkItems([UInt8](data), documents: docs)
        print(measureThroughput(model: m, items: items, repeats: `repeat`, threads: threads).summary)
    }
}

import ArgumentParser
import Foundation
import SpindleIO
import SpindleTokenizer
import SpindleTrainer

/// `spindle bench`: the measurements `make bench` compares against the peers.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure kernels: sgemm GFLOP/s and tokenizer encode/decode throughput.",
        discussion: """
        Training and sampling speed are measured by the commands themselves:
          spindle train pretrain --config stories15M --benchmark 5
          spindle generate --config stories15M --benchmark 256
        """,
        subcommands: [BenchSgemm.self, BenchTokenizer.self])
}

struct BenchSgemm: Configurable {
    static let configuration = CommandConfiguration(
        commandName: "sgemm",
        abstract: "sgemm GFLOP/s on square 256-2048 matrices and a model's training shapes (like gemm_bench_numpy.py).",
        discussion: """
          spindle bench sgemm --config stories15M --threads 2
        """)

    @Option(name: .customLong("config"), help: "Training config or preset whose shapes are measured.") var preset = "stories15M"
    @Option(help: "BLAS threads (default: training.threads of the config).") var threads: Int?
    @OptionGroup var config: ConfigOptions

    func run() throws {
        BLASBackend.prepareProcess()   // before any input is read: it may re-exec
        var cfg = try Presets.load(preset)
        if let threads { cfg.threads = threads }
        let blas = BLASBackend.shared
        blas.threads = cfg.threads
        StandardError.line("blas: \(blas.summary)")
        for s in SgemmBench.shapes(cfg) {
            print(String(format: "threads=%d %@: %.1f GFLOP/s", cfg.threads, s.name, blas.measureSgemm(m: s.m, k: s.k, n: s.n, reps: 5)))
        }
    }
}

struct BenchTokenizer: Configurable {
    static let configuration = CommandConfiguration(
        commandName: "tokenizer",
        abstract: "Encode/decode throughput on a text file (same method as sentencepiece's encode_bench.py).",
        discussion: """
        Encodes the non-empty lines of FILE (or its blank-line separated documents
        with --docs), best of --repeat runs, then decodes them; prints MB/s by wall
        and CPU time (MB = 1e6 input bytes).
          spindle bench tokenizer --model tokenizer.model corpus.txt --threads 2
        """)

    @Option(help: "SentencePiece .model file.") var model: String
    @Argument(help: "UTF-8 text file.") var file: String
    @Flag(help: "Items are documents separated by blank lines.") var docs = false
    @Option(help: "Runs; the best counts.") var `repeat`: Int = 3
    @Option(help: "Encoding threads.") var threads: Int = 1
    @OptionGroup var config: ConfigOptions

    func run() throws {
        let m = try SentencePieceModel(contentsOf: model)
        let items = benchmarkItems(try InputFile.readAll(path: file), documents: docs)
        print(measureThroughput(model: m, items: items, repeats: `repeat`, threads: threads).summary)
    }
}

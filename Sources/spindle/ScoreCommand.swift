import ArgumentParser
import Foundation
import SpindleIO
import SpindleTrainer

struct Score: Configurable {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Per-token log-probabilities of token-id sequences under a checkpoint.",
        discussion: """
        Reads token ids (whitespace-separated, one sequence per line) from FILE or stdin (.zst/.gz read transparently) and writes, for each input line, the T-1 log-probs log p(t[i+1] | t[..i]) separated by spaces (an empty line for a one-token sequence). The perplexity over all scored tokens goes to stderr.

        example:
          spindle score --checkpoint runs/nano/checkpoint < ids.txt > logprobs.txt
        """)

    @Option(help: "Checkpoint directory (config.json + model.safetensors; ours or transformers'), or a llama2.c .bin.") var checkpoint: String
    @Argument(help: "Token-id file (default: stdin).") var input: String?
    @Option(help: "Threads.") var threads = 2
    @OptionGroup var config: ConfigOptions

    func validate() throws { try Check.threads(threads) }

    func run() throws {
        BLASBackend.prepareProcess()   // before any input is read: it may re-exec
        BLASBackend.shared.threads = threads
        let name = input ?? "<stdin>"
        let data = try InputFile.readAll(path: input)
        let model = try Checkpoint.load(checkpoint)
        model.parallel = Parallel(threads: threads)
        let scorer = Scorer(model: model)
        var sum = 0.0, count = 0
        var out = ""
        var lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }
        for (i, line) in lines.enumerated() {
            let ids = try TokenIDs.parse(line, file: name, line: i + 1)
            let lp: [Float]
            do { lp = try scorer.logProbs(ids) } catch let TrainerError.data(_, _, m) {
                throw TrainerError.data(file: name, line: i + 1, message: m)
            }
            out += lp.map { String(format: "%.6f", $0) }.joined(separator: " ") + "\n"
            sum += lp.reduce(0.0) { $0 + Double($1) }; count += lp.count
            if out.utf8.count > 1 << 16 { FileHandle.standardOutput.write(Data(out.utf8)); out = "" }
        }
        FileHandle.standardOutput.write(Data(out.utf8))
        StandardError.line(count > 0
            ? String(format: "%d tokens scored, mean log-prob %.4f, perplexity %.3f", count, sum / Double(count), exp(-sum / Double(count)))
            : "no tokens scored")
    }
}

import ArgumentParser
import Foundation
import SpindleIO
import SpindleServe
import SpindleTokenizer
import SpindleTrainer

struct Serve: Configurable {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "An OpenAI-compatible chat server and a web chat page for a checkpoint.",
        discussion: """
        POST /v1/chat/completions (messages in the Llama 2 chat format), POST /v1/completions, GET /v1/models, GET /health, and a chat page at /. temperature, top_p, max_tokens, stop, seed, n and stream (server-sent events) are supported; up to --batch answers decode together (continuous batching: a request joins the running batch when it arrives and each answer leaves it when it ends); beyond that requests wait in a first-come-first-served queue. Listens on 127.0.0.1 unless --host says otherwise; --port 0 picks a free port. The address is printed on stderr. With --report DIR, /report shows the pipeline report of DIR (as `spindle report` writes it). With --annotate FILE --annotators FILE, /annotate runs Llama 2's side-by-side preference annotation and appends each judgement to FILE as a preference record (docs/SERVE.md).

        examples:
          spindle serve --checkpoint runs/ppo/best --tokenizer tok.model
          curl -s localhost:8080/v1/chat/completions -d '{"messages": [{"role": "user", "content": "Hi"}]}'
        """)

    @Option(help: "Checkpoint directory (config.json + model.safetensors), or a llama2.c .bin file.") var checkpoint: String
    @Option(help: "The SentencePiece .model the checkpoint was trained with.") var tokenizer: String
    @Option(help: "Address to listen on (an IPv4 or IPv6 literal, or localhost).") var host = "127.0.0.1"
    @Option(help: "Port (0 = any free port).") var port = 8080
    @Option(name: .customLong("model-name"), help: "The model's id in /v1/models; requests naming another model get 404.") var modelName = "spindle"
    @Option(help: "Decoding threads.") var threads = 2
    @Option(help: "Answers decoded together as one batch (continuous batching, 1...32): requests join and leave it as they come and end.") var batch = 16
    @Option(name: .customLong("max-queue"), help: "Requests that may wait for room in the batch; more get 429.") var maxQueue = 64
    @Option(name: .customLong("max-n"), help: "The largest n (answers per request, decoded as one batch).") var maxN = 8
    @Option(name: .customLong("max-tokens"), help: "max_tokens for requests that give none (cut to the context).") var maxTokens = 256
    @Option(help: "Seed for requests that send none (request k samples with a seed derived from it and k).") var seed: UInt64 = 0
    @Option(help: "Seconds a request that does not stream may take, queue wait included.") var timeout = 600.0
    @Option(help: "Serve the annotation page at /annotate and append each judgement to this JSONL file (preference records).") var annotate: String?
    @Option(help: "With --annotate: who may annotate, NAME TOKEN per line.") var annotators: String?
    @Option(name: .customLong("annotate-temperatures"), help: "With --annotate: the two sampling temperatures the answers come from.") var annotateTemperatures = "0.7,1.0"
    @Option(name: .customLong("annotate-checkpoint"), help: "With --annotate: the second answer comes from this checkpoint (at the second temperature).") var annotateCheckpoint: String?
    @Option(name: .customLong("annotate-prompts"), help: "With --annotate: take prompts from this file (JSONL with \"prompt\" or \"messages\", or text, one prompt a line).") var annotatePrompts: String?
    @Option(name: .customLong("annotate-overlap"), help: "With --annotate-prompts: how many annotators see each pair (for inter-annotator agreement).") var annotateOverlap = 1
    @Option(help: "Serve the pipeline report of this directory (what `make` writes into out/) at /report.") var report: String?
    @OptionGroup var config: ConfigOptions

    func validate() throws {
        try Check.int("--port", port, min: 0, max: 65535)
        try Check.threads(threads)
        try Check.int("--max-queue", maxQueue, min: 1, max: 1 << 20)
        try Check.int("--batch", batch, min: 1, max: 32)
        try Check.int("--max-n", maxN, min: 1, max: 64)
        if maxN > batch { throw ValidationError("--max-n \(maxN) is more than --batch \(batch): a request's n answers decode in one batch") }
        try Check.int("--max-tokens", maxTokens, min: 1, max: 1 << 20)
        try Check.real("--timeout", timeout, 0, 86400, openLow: true)
        if modelName.isEmpty { throw ValidationError("--model-name must not be empty") }
        if (annotate == nil) != (annotators == nil) { throw ValidationError("--annotate FILE and --annotators FILE go together") }
        if annotateCheckpoint != nil && annotate == nil { throw ValidationError("--annotate-checkpoint goes with --annotate") }
        if annotatePrompts != nil && annotate == nil { throw ValidationError("--annotate-prompts goes with --annotate") }
        try Check.int("--annotate-overlap", annotateOverlap, min: 1, max: 1000)
        _ = try temperatures()
        do { try APIServer.checkAddress(host: host, port: port) } catch { throw ValidationError("\(error)") }
    }

    func run() throws {
        if let report {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: report, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw SystemError(path: report, operation: "open the pipeline directory", errno: ENOENT)
            }
        }
        BLASBackend.prepareProcess()   // before any input is read: it may re-exec
        BLASBackend.shared.threads = threads
        let sp = try SentencePieceModel(contentsOf: tokenizer)
        let model = try Checkpoint.load(checkpoint, head: .languageModel, tokenizer: sp, tokenizerName: tokenizer)
        model.parallel = Parallel(threads: threads)
        var s = ServeSettings()
        s.host = host; s.port = port; s.modelName = modelName; s.threads = threads; s.batch = batch; s.maxQueue = maxQueue
        s.maxN = maxN; s.maxTokens = maxTokens; s.seed = seed; s.timeout = timeout
        s.reportDirectory = report
        let annotation = try annotate.map { file -> AnnotationSettings in
            var a = AnnotationSettings(file: file, annotators: try Annotators(path: annotators ?? ""))
            a.temperatures = try temperatures(); a.maxTokens = maxTokens; a.secondCheckpoint = annotateCheckpoint
            a.prompts = try annotatePrompts.map { try AnnotationPrompts(path: $0) }
            a.overlap = annotateOverlap
            return a
        }
        let second = try annotateCheckpoint.map { try Checkpoint.load($0, head: .languageModel, tokenizer: sp, tokenizerName: tokenizer) }
        second?.parallel = Parallel(threads: threads)
        let server = try APIServer(model: model, tokenizer: sp, settings: s, annotation: annotation, secondModel: second)
        let shown = host.contains(":") ? "[\(host)]" : host, name = modelName, threads = threads
        try Blocking.wait {
            try await server.run { bound in
                StandardError.line("spindle serve: listening on http://\(shown):\(bound) (model \(name), \(threads) threads)")
            }
        }
    }
}

extension Serve {
    /// `--annotate-temperatures A,B`: two temperatures in 0...2.
    func temperatures() throws -> (Float, Float) {
        let parts = annotateTemperatures.split(separator: ",").map { Float($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 2, let a = parts[0], let b = parts[1], (0...2).contains(a), (0...2).contains(b) else {
            throw ValidationError("--annotate-temperatures takes two temperatures in 0...2, like 0.7,1.0")
        }
        return (a, b)
    }
}

/// Runs async work from the synchronous command and waits for it.
enum Blocking {
    static func wait(_ body: @escaping @Sendable () async throws -> Void) throws {
        let done = DispatchSemaphore(value: 0)
        let box = ErrorBox()
        Task {
            do { try await body() } catch { box.error = error }
            done.signal()
        }
        done.wait()
        if let e = box.error { throw e }
    }

    // Why @unchecked Sendable: written by the task before it signals, read after the wait.
    final class ErrorBox: @unchecked Sendable { var error: (any Error)? }
}

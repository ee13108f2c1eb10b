// APIServer.swift: `spindle serve` as a value: a model, its tokenizer and the settings, bound to an
// address by FlyingFox (HTTP/1.1, keep-alive, chunked bodies). Binds to 127.0.0.1 unless told otherwise.
import Foundation
import FlyingFox
import FlyingSocks
import SpindleIO
import SpindleTokenizer
import SpindleTrainer

/// Everything `spindle serve` is configured with besides the model.
public struct ServeSettings: Sendable {
    public var host = "127.0.0.1"
    /// 0 = any free port (the chosen one is returned by `start`).
    public var port = 8080
    /// The model's id in /v1/models and in responses; requests naming another model get 404.
    public var modelName = "spindle"
    /// Decoding threads.
    public var threads = 2
    /// Answers decoded together as one batch (continuous batching; 1…32, and at least `maxN`).
    public var batch = 16
    /// Requests that may wait behind the running ones before new ones get 429.
    public var maxQueue = 64
    /// Largest `n` a request may ask for (all n answers decode as one batch).
    public var maxN = 8
    /// `max_tokens` when a request gives none (cut to the room the context leaves).
    public var maxTokens = 256
    /// Seed of the seeds given to requests that send none (request k gets a seed derived from it and k).
    public var seed: UInt64 = 0
    /// Seconds a non-streamed request may take, queue wait included.
    public var timeout: Double = 600
    /// Seconds between keep-alive comments on an idle event stream.
    public var keepAlive: Double = 1
    /// The pipeline directory whose report is served at /report, or nil.
    public var reportDirectory: String?

    public init() {}
}

/// The server: routes, the decoding queue, and the listening socket.
public final class APIServer: Sendable {
    public let settings: ServeSettings
    let scheduler: Scheduler
    let http: HTTPServer

    /// `model` is used only by the decoding thread from here on.
    /// `secondModel` answers variant B of annotation pairs (with `annotation.secondCheckpoint`).
    public init(model: LlamaModel, tokenizer: SentencePieceModel, settings: ServeSettings, annotation: AnnotationSettings? = nil,
                secondModel: LlamaModel? = nil) throws {
        guard tokenizer.vocabSize == model.config.vocabSize else {
            throw APIServerError("the tokenizer has \(tokenizer.vocabSize) pieces, the model's vocabulary is \(model.config.vocabSize)",
                                 exitCode: ExitStatus.dataError)
        }
        self.settings = settings
        let scheduler = Scheduler(model: model, tokenizer: tokenizer, threads: settings.threads, maxQueue: settings.maxQueue, capacity: settings.batch)
        self.scheduler = scheduler
        let prompts = PromptBuilder(tokenizer: tokenizer, context: model.config.maxSeqLen, defaultMaxTokens: settings.maxTokens)
        let counter = RequestCounter(), eos = Int32(model.config.eosId)
        if let secondModel, secondModel.config.vocabSize != model.config.vocabSize || secondModel.config.maxSeqLen < model.config.maxSeqLen {
            throw APIServerError("the second annotation checkpoint needs the same vocabulary and at least the context of the served one", exitCode: ExitStatus.dataError)
        }
        let second = secondModel.map { Scheduler(model: $0, tokenizer: tokenizer, threads: settings.threads, maxQueue: settings.maxQueue, capacity: settings.batch) } ?? scheduler
        let annotationRoutes = try annotation.map {
            try AnnotationRoutes(settings: $0, store: try AnnotationStore(path: $0.file, warn: StandardError.line), schedulers: (scheduler, second),
                             prompts: prompts, eosID: eos, counter: counter, warn: StandardError.line)
        }
        let routes = Routes(settings: settings, scheduler: scheduler, prompts: prompts, eosID: eos,
                            started: Int(Date().timeIntervalSince1970), counter: counter, annotation: annotationRoutes,
                            report: settings.reportDirectory.map { ReportRoutes(root: $0) })
        let config = HTTPServer.Configuration(address: try Self.address(settings.host, port: settings.port),
                                              timeout: settings.timeout, logger: .disabled)
        http = HTTPServer(config: config, handler: routes)
    }

    /// Refuses a host or port that cannot be bound, before any model is loaded.
    public static func checkAddress(host: String, port: Int) throws { _ = try address(host, port: port) }

    /// The socket address for `host` (an IPv4 or IPv6 literal, or `localhost`).
    static func address(_ host: String, port: Int) throws -> any SocketAddress {
        guard (0...65535).contains(port) else { throw APIServerError("--port \(port) is not a port (0...65535)") }
        let p = UInt16(port)
        do {
            if host == "localhost" { return try sockaddr_in.inet(ip4: "127.0.0.1", port: p) }
            if host.contains(":") { return try sockaddr_in6.inet6(ip6: host, port: p) }
            return try sockaddr_in.inet(ip4: host, port: p)
        } catch {
            throw APIServerError("--host \(host) is not an IPv4 or IPv6 address (or localhost)")
        }
    }

    /// Serves until the task is cancelled or `stop` is called; `onListening` gets the bound port. A
    /// socket that cannot be bound is an `APIServerError` (exit 74).
    public func run(onListening: @escaping @Sendable (Int) -> Void) async throws {
        let http = self.http
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await http.run() }
                group.addTask { [self] in
                    try await http.waitUntilListening(timeout: 30)
                    onListening(try await boundPort())
                }
                for try await _ in group {}
            }
        } catch let e as APIServerError { throw e } catch is CancellationError { return } catch {
            throw APIServerError("cannot serve on \(settings.host):\(settings.port): \(error)", exitCode: ExitStatus.ioError)
        }
    }

    /// Starts serving in a background task and returns the bound port once listening.
    @discardableResult
    public func start() async throws -> Int {
        let http = self.http
        Task { try? await http.run() }
        try await http.waitUntilListening(timeout: 10)
        return try await boundPort()
    }

    /// The port the socket is bound to (the chosen one when `port` was 0).
    public func boundPort() async throws -> Int {
        switch await http.listeningAddress {
        case .ip4(_, let port)?, .ip6(_, let port)?: return Int(port)
        default: throw APIServerError("the server is not listening")
        }
    }

    /// Stops listening, cancels queued work and lets the running request end.
    public func stop() async {
        scheduler.shutdown()
        await http.stop(timeout: 1)
    }
}

/// The server cannot start (a bad address, a tokenizer that does not fit the model).
public struct APIServerError: Error, SpindleError, CustomStringConvertible {
    public var description: String
    /// 64 for a bad address, 65 for a tokenizer that does not fit the model, 74 when binding fails.
    public var exitCode: Int32
    public init(_ description: String, exitCode: Int32 = ExitStatus.usage) {
        self.description = description; self.exitCode = exitCode
    }
}

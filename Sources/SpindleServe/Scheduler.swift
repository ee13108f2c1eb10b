// Scheduler.swift: a fair FIFO queue in front of one decoding thread. Requests are decoded one at a
// time, in arrival order; the `n` answers of one request are the rows of one batch. (Continuous
// batching — joining different requests mid-decode — is not done: Generator decodes rows in lockstep
// from one start.) The worker is a plain thread, not a Swift task, so decoding never occupies the
// cooperative pool the HTTP connections run on. A cancelled job leaves the queue at once, and a running
// one stops at its next decoding step.
import Foundation
import Synchronization
import SpindleTokenizer
import SpindleTrainer

/// What to generate for one request.
public struct JobSpec: Sendable {
    public var prompt: [Int32]
    public var n: Int
    public var options: SamplingOptions
    public var stops: [String]

    public init(prompt: [Int32], n: Int, options: SamplingOptions, stops: [String]) {
        self.prompt = prompt; self.n = n; self.options = options; self.stops = stops
    }
}

/// One answer: its text, why it ended (`stop`: end of sequence or a stop sequence; `length`:
/// max_tokens; `cancelled`), and its token count.
public struct Choice: Sendable, Equatable {
    public var text: String
    public var finishReason: String
    public var tokens: Int
}

/// A finished request.
public struct JobResult: Sendable, Equatable {
    public var choices: [Choice]
    public var promptTokens: Int
    public var completionTokens: Int { choices.reduce(0) { $0 + $1.tokens } }
}

/// What the worker reports about a job, in order: `text` pieces (per answer row), then `finished`;
/// or `cancelled` alone for a job cancelled before it ran.
public enum JobEvent: Sendable {
    case text(row: Int, String)
    case finished(JobResult)
    case cancelled
}

/// A queued or running request.
// Why @unchecked Sendable: `spec` and `onEvent` are immutable; `cancelledFlag` is atomic.
final class Job: @unchecked Sendable {
    let spec: JobSpec
    let onEvent: @Sendable (JobEvent) -> Void
    private let cancelledFlag = Atomic<Bool>(false)

    init(spec: JobSpec, onEvent: @escaping @Sendable (JobEvent) -> Void) {
        self.spec = spec; self.onEvent = onEvent
    }

    var isCancelled: Bool { cancelledFlag.load(ordering: .acquiring) }
    func markCancelled() { cancelledFlag.store(true, ordering: .releasing) }
}

/// Lets the submitter cancel its job (a client gone, a handler timed out).
public struct JobHandle: Sendable {
    let job: Job
    let scheduler: Scheduler
    public func cancel() { scheduler.cancel(job) }
}

/// The queue and its decoding thread.
// Why @unchecked Sendable: `queue`, `running`, `stopping` and the counters are touched only under `cond`;
// `model`, `generators` and `tokenizer` only on the worker thread (the model is never shared).
public final class Scheduler: @unchecked Sendable {
    let model: LlamaModel
    let tokenizer: SentencePieceModel
    let threads: Int
    /// Jobs that may wait (not counting the running one) before `submit` answers 429.
    public let maxQueue: Int
    private let cond = NSCondition()
    private var queue: [Job] = []
    private var running: Job?
    private var stopping = false
    private var completed = 0
    private var cancelledJobs = 0
    private var generators: [Int: Generator] = [:]

    public init(model: LlamaModel, tokenizer: SentencePieceModel, threads: Int, maxQueue: Int) {
        self.model = model; self.tokenizer = tokenizer; self.threads = threads; self.maxQueue = maxQueue
        let worker = Thread { [self] in workerLoop() }
        worker.stackSize = 8 << 20
        worker.name = "spindle-serve-decoder"
        worker.start()
    }

    /// Queues a job; `onEvent` is called on the decoding thread. Throws 429 when the queue is full.
    public func submit(_ spec: JobSpec, onEvent: @escaping @Sendable (JobEvent) -> Void) throws(APIError) -> JobHandle {
        let job = Job(spec: spec, onEvent: onEvent)
        cond.lock()
        defer { cond.unlock() }
        if stopping { throw .stopping }
        if queue.count >= maxQueue { throw .busy(queued: queue.count) }
        queue.append(job)
        cond.signal()
        return JobHandle(job: job, scheduler: self)
    }

    /// Runs a job to the end and returns its result (nil when it was cancelled before it ran). Cancelling
    /// the calling task cancels the job.
    public func run(_ spec: JobSpec) async throws(APIError) -> JobResult? {
        let box = HandleBox()
        let outcome: Result<JobResult?, APIError> = await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Result<JobResult?, APIError>, Never>) in
                do {
                    box.handle = try submit(spec) { event in
                        switch event {
                        case .text: break
                        case .finished(let r): c.resume(returning: .success(r))
                        case .cancelled: c.resume(returning: .success(nil))
                        }
                    }
                } catch let e as APIError { c.resume(returning: .failure(e)) } catch { c.resume(returning: .failure(.stopping)) }
            }
        } onCancel: { box.handle?.cancel() }
        return try outcome.get()
    }

    /// Queued and running counts, how many jobs have finished, and how many of those were cancelled.
    public var status: (queued: Int, running: Int, completed: Int, cancelled: Int) {
        cond.lock(); defer { cond.unlock() }
        return (queue.count, running == nil ? 0 : 1, completed, cancelledJobs)
    }

    /// Takes a job out of the queue at once (reporting `cancelled`), or stops it at its next step.
    func cancel(_ job: Job) {
        job.markCancelled()
        cond.lock()
        let index = queue.firstIndex { $0 === job }
        if let index { queue.remove(at: index); completed += 1; cancelledJobs += 1 }
        cond.unlock()
        if index != nil { job.onEvent(.cancelled) }
    }

    /// Refuses new jobs, cancels the queued ones and lets the worker leave after the running one.
    public func shutdown() {
        cond.lock()
        stopping = true
        let dropped = queue
        queue.removeAll()
        running?.markCancelled()
        cond.broadcast()
        cond.unlock()
        for job in dropped { job.markCancelled(); job.onEvent(.cancelled) }
    }

    private func workerLoop() {
        while true {
            cond.lock()
            while queue.isEmpty && !stopping { cond.wait() }
            if queue.isEmpty { cond.unlock(); return }
            let job = queue.removeFirst()
            running = job
            cond.unlock()
            let result = decode(job)
            cond.lock()
            running = nil
            completed += 1
            if job.isCancelled { cancelledJobs += 1 }
            cond.unlock()
            job.onEvent(.finished(result))
        }
    }

    /// Decodes the job's `n` rows as one batch, releasing text as it becomes final.
    private func decode(_ job: Job) -> JobResult {
        let spec = job.spec, n = spec.n
        let gen = generator(rows: n)
        var streams = (0..<n).map { _ in TextStream(tokenizer: tokenizer, stops: spec.stops) }
        let outs = gen.generate(prompts: Array(repeating: spec.prompt, count: n), options: spec.options, onToken: { row, tok in
            let piece = streams[row].append(tok)
            if !piece.isEmpty { job.onEvent(.text(row: row, piece)) }
        }, isCancelled: { job.isCancelled || streams.allSatisfy(\.hitStop) })
        var choices: [Choice] = []
        for r in 0..<n {
            let tail = streams[r].finish()
            if !tail.isEmpty { job.onEvent(.text(row: r, tail)) }
            let reason = streams[r].hitStop || outs[r].stopped ? "stop"
                : job.isCancelled ? "cancelled" : "length"
            choices.append(Choice(text: streams[r].text, finishReason: reason, tokens: streams[r].tokens.count))
        }
        return JobResult(choices: choices, promptTokens: spec.prompt.count)
    }

    /// One generator per batch size, kept (its KV cache is sized for the whole context).
    private func generator(rows: Int) -> Generator {
        if let g = generators[rows] { return g }
        let g = Generator(model: model, batch: rows, maxLen: model.config.maxSeqLen, threads: threads)
        generators[rows] = g
        return g
    }
}

/// Carries the handle from inside the continuation to the cancellation handler.
// Why @unchecked Sendable: `handle` is written once under `lock` and read under it.
private final class HandleBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: JobHandle?
    var handle: JobHandle? {
        get { lock.lock(); defer { lock.unlock() }; return stored }
        set { lock.lock(); stored = newValue; lock.unlock() }
    }
}

// Scheduler.swift: a fair queue in front of one decoding thread that batches continuously. Up to
// `capacity` answers decode together as the rows of one batch (SpindleTrainer.GeneratorSlots): a request
// joins the running batch as soon as it reaches the head of the queue and its `n` answers find free slots,
// and each answer leaves the batch when it ends, so short requests are not held up by long ones. The
// queue is first come, first served: a request waits until every earlier one was admitted (none jumps
// ahead, none starves). A cancelled job leaves the queue at once, and a running one frees its slots before
// the next decoding step. The worker is a plain thread, not a Swift task, so decoding never occupies the
// cooperative pool the HTTP connections run on (SchedulerWorker.swift).
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
// Why @unchecked Sendable: `queue`, `runningJobs`, `stopping` and the counters are touched only under
// `cond`; `slots` and `tokenizer` only on the worker thread (the model is never shared).
public final class Scheduler: @unchecked Sendable {
    let slots: GeneratorSlots
    let tokenizer: SentencePieceModel
    /// Jobs that may wait (not counting the running ones) before `submit` answers 429.
    public let maxQueue: Int
    let cond = NSCondition()
    var queue: [Job] = []
    var runningJobs = 0
    var stopping = false
    var completed = 0
    var cancelledJobs = 0

    /// `capacity` answers (1…32) decode together; a request's `n` may not exceed it.
    public init(model: LlamaModel, tokenizer: SentencePieceModel, threads: Int, maxQueue: Int, capacity: Int = 16) {
        slots = GeneratorSlots(model: model, capacity: capacity, threads: threads)
        self.tokenizer = tokenizer; self.maxQueue = maxQueue
        let worker = Thread { [self] in workerLoop() }
        worker.stackSize = 8 << 20
        worker.name = "spindle-serve-decoder"
        worker.start()
    }

    /// Answers decoding together at most.
    public var capacity: Int { slots.capacity }

    /// Queues a job; `onEvent` is called on the decoding thread. Throws 429 when the queue is full.
    public func submit(_ spec: JobSpec, onEvent: @escaping @Sendable (JobEvent) -> Void) throws(APIError) -> JobHandle {
        guard spec.n <= slots.capacity else {
            throw APIError.invalid("n is \(spec.n), more answers than decode together on this server (--batch \(slots.capacity))", param: "n")
        }
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
        return (queue.count, runningJobs, completed, cancelledJobs)
    }

    /// Takes a job out of the queue at once (reporting `cancelled`), or frees its slots before the next step.
    func cancel(_ job: Job) {
        job.markCancelled()
        cond.lock()
        let index = queue.firstIndex { $0 === job }
        if let index { queue.remove(at: index); completed += 1; cancelledJobs += 1 }
        cond.unlock()
        if index != nil { job.onEvent(.cancelled) }
    }

    /// Refuses new jobs, cancels the queued ones and stops the running ones at their next step.
    public func shutdown() {
        cond.lock()
        stopping = true
        let dropped = queue
        queue.removeAll()
        cond.broadcast()
        cond.unlock()
        for job in dropped { job.markCancelled(); job.onEvent(.cancelled) }
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

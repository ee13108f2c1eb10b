// SchedulerWorker.swift: the decoding thread of the Scheduler. Each turn it admits queued jobs, in order,
// while their answers find free slots (each admission prefills its prompt once), drops cancelled jobs
// (their slots are free for the next step), runs one decoding step for every answer in the batch, turns
// the tokens into text per answer (stop sequences end an answer at once) and finishes the jobs whose
// answers have all ended.
import Foundation
import SpindleTokenizer
import SpindleTrainer

/// A job in the batch: which slot each of its answers decodes in, and the answers' text so far.
final class RunningJob {
    let job: Job
    var slots: [Int?]
    var streams: [TextStream]
    var stopped: [Bool]

    init(job: Job, slots: [Int], tokenizer: SentencePieceModel) {
        self.job = job
        self.slots = slots
        streams = slots.map { _ in TextStream(tokenizer: tokenizer, stops: job.spec.stops) }
        stopped = slots.map { _ in false }
    }

    var isDone: Bool { slots.allSatisfy { $0 == nil } }
}

extension Scheduler {
    func workerLoop() {
        var running: [RunningJob] = []
        while true {
            cond.lock()
            while queue.isEmpty && running.isEmpty && !stopping { cond.wait() }
            if stopping && queue.isEmpty && running.isEmpty { cond.unlock(); return }
            // Admission in arrival order: the head waits for room, later jobs wait behind it.
            var free = slots.freeSlots, admitted: [Job] = []
            while let head = queue.first, head.spec.n <= free {
                queue.removeFirst()
                free -= head.spec.n
                admitted.append(head)
            }
            runningJobs += admitted.count
            let stop = stopping
            cond.unlock()
            for job in admitted {
                if let r = admit(job) { running.append(r) } else { finish(RunningJob(job: job, slots: [], tokenizer: tokenizer)) }
            }
            for r in running where stop || r.job.isCancelled {
                r.job.markCancelled()
                for case let s? in r.slots { slots.remove(slot: s) }
                r.slots = r.slots.map { _ in nil }
            }
            step(running)
            for r in running where r.isDone { finish(r) }
            running.removeAll { $0.isDone }
        }
    }

    /// Prefills a job's prompt into `n` slots (answer i samples with seed + i); nil when it cannot
    /// produce a token (a prompt filling the context, or no tokens asked for).
    private func admit(_ job: Job) -> RunningJob? {
        let spec = job.spec
        guard !job.isCancelled, !spec.prompt.isEmpty, spec.prompt.count < slots.maxLen, spec.options.maxNewTokens >= 1,
              let s = slots.admit(prompt: spec.prompt, seeds: (0..<spec.n).map { spec.options.seed &+ UInt64($0) }, options: spec.options)
        else { return nil }
        return RunningJob(job: job, slots: s, tokenizer: tokenizer)
    }

    /// One decoding step; each new token goes to its answer's text stream.
    private func step(_ running: [RunningJob]) {
        var owner: [Int: (RunningJob, Int)] = [:]
        for r in running { for (row, s) in r.slots.enumerated() { if let s { owner[s] = (r, row) } } }
        guard !owner.isEmpty else { return }
        for t in slots.step() {
            guard let (r, row) = owner[t.slot] else { continue }
            if let tok = t.token {
                let piece = r.streams[row].append(tok)
                if !piece.isEmpty { r.job.onEvent(.text(row: row, piece)) }
            }
            r.stopped[row] = r.stopped[row] || t.stopped
            if t.finished || r.streams[row].hitStop {
                if !t.finished { slots.remove(slot: t.slot) }   // a stop sequence: the slot is free at once
                r.slots[row] = nil
            }
        }
    }

    /// Releases what each answer held back, reports the result and counts the job.
    private func finish(_ r: RunningJob) {
        let job = r.job, n = job.spec.n
        var choices: [Choice] = []
        for row in 0..<n {
            guard row < r.streams.count else { choices.append(Choice(text: "", finishReason: "length", tokens: 0)); continue }
            let tail = r.streams[row].finish()
            if !tail.isEmpty { job.onEvent(.text(row: row, tail)) }
            let reason = r.streams[row].hitStop || r.stopped[row] ? "stop" : job.isCancelled ? "cancelled" : "length"
            choices.append(Choice(text: r.streams[row].text, finishReason: reason, tokens: r.streams[row].tokens.count))
        }
        cond.lock()
        runningJobs -= 1
        completed += 1
        if job.isCancelled { cancelledJobs += 1 }
        cond.unlock()
        job.onEvent(.finished(JobResult(choices: choices, promptTokens: job.spec.prompt.count)))
    }
}

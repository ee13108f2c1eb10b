// Continuous batching: requests decode together as they arrive and finish, and each answer is the one it
// gets alone (greedy, and sampled with a seed); the queue beyond the batch is first come, first served;
// a client that hangs up frees its slot for a waiting request.
import Foundation
import Testing
import SpindleTestSupport
import SpindleTrainer

@Suite(.serialized, .requires(ServeFixture.ready))
struct ContinuousBatchingTests {
    /// Text, finish reason and token counts of every choice: what must not change under load.
    static func answer(_ r: HTTPReply) -> String {
        let choices = (r.json["choices"] as? [[String: Any]] ?? []).map { c in
            ((c["message"] as? [String: Any])?["content"] as? String ?? c["text"] as? String ?? "") + "|" + (c["finish_reason"] as? String ?? "")
        }
        let u = r.json["usage"] as? [String: Any] ?? [:]
        return "\(r.status) \(choices) \(u["prompt_tokens"] ?? "-")/\(u["completion_tokens"] ?? "-")"
    }

    static let requests: [(String, String)] = [
        ("/v1/completions", #"{"prompt": "Coral reefs", "max_tokens": 40, "temperature": 0}"#),
        ("/v1/completions", #"{"prompt": "The aqueduct", "max_tokens": 3, "temperature": 0}"#),
        ("/v1/completions", #"{"prompt": "Bread is made", "max_tokens": 25, "temperature": 0, "n": 3}"#),
        ("/v1/completions", #"{"prompt": "Tides", "max_tokens": 30, "temperature": 0, "stop": ["e"]}"#),
        ("/v1/chat/completions", #"{"messages": [{"role": "user", "content": "Tell me about rivers."}], "max_tokens": 20, "temperature": 0}"#),
        ("/v1/chat/completions", #"{"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Volcanoes?"}], "max_tokens": 35, "temperature": 0}"#),
        ("/v1/completions", #"{"prompt": "Mountains rise", "max_tokens": 18, "temperature": 1, "top_p": 0.9, "seed": 7, "n": 2}"#),
        ("/v1/completions", #"{"prompt": "A", "max_tokens": 12, "temperature": 0}"#),
    ]

    @Test func answersUnderLoadEqualTheAnswersAlone() throws {
        let s = try ServeProcess(extra: ["--batch", "8"])
        defer { s.stop() }
        let port = s.port
        let alone = try Self.requests.map { Self.answer(try HTTPTestClient.post(port: port, $0.0, $0.1)) }
        #expect(alone.allSatisfy { $0.hasPrefix("200 ") }, "\(alone)")
        // Twice as many clients as requests, so answers join and leave a batch that is already decoding.
        for round in 0..<2 {
            let together = Locked([Int: String]())
            DispatchQueue.concurrentPerform(iterations: 2 * Self.requests.count) { i in
                let (path, body) = Self.requests[i % Self.requests.count]
                let a = (try? HTTPTestClient.post(port: port, path, body)).map(Self.answer) ?? "no answer"
                together.withLock { $0[i] = a }
            }
            let got = together.withLock { $0 }
            for i in 0..<(2 * Self.requests.count) {
                #expect(got[i] == alone[i % Self.requests.count], "round \(round), request \(i)")
            }
        }
    }

    /// Opens a long greedy stream on the slow model and reads until text has arrived.
    static func openLongStream(port: Int, prompt: String) throws -> TestSocket {
        let sock = try TestSocket(port: port)
        try sock.send(HTTPTestClient.requestBytes("POST", "/v1/completions",
                                                  body: #"{"prompt": "\#(prompt)", "max_tokens": 900, "temperature": 0, "stream": true}"#))
        var seen = ""
        while seen.components(separatedBy: #""text":""#).count < 3 {
            let chunk = try sock.receive()
            if chunk.isEmpty { break }
            seen += String(decoding: chunk, as: UTF8.self)
        }
        #expect(!seen.contains("[DONE]"), "the long answer ended before the test looked")
        return sock
    }

    static func health(_ port: Int) throws -> [String: Any] { try HTTPTestClient.request(port: port, "GET", "/health").json }

    @Test func requestsDecodeTogetherAndTheQueueBeyondTheBatchIsFirstComeFirstServed() throws {
        let s = try ServeProcess(checkpoint: ServeFixture.slowCheckpoint, extra: ["--batch", "2", "--max-n", "2"])
        defer { s.stop() }
        let port = s.port
        let a = try Self.openLongStream(port: port, prompt: "Coral")
        let b = try Self.openLongStream(port: port, prompt: "Bread")
        var h = try Self.health(port)
        #expect(h["running"] as? Int == 2 && h["queued"] as? Int == 0, "two streams share the batch: \(h)")
        b.shutdown()
        // The slot b held is free: a request for two answers waits for a's slot too, and a one-answer
        // request behind it waits its turn rather than taking the free slot.
        let results = Locked([String: Int]())
        let pair = Thread {
            let r = try? HTTPTestClient.post(port: port, "/v1/completions", #"{"prompt": "Sea", "max_tokens": 4, "temperature": 0, "n": 2}"#)
            results.withLock { $0["pair"] = r?.status ?? -1 }
        }
        pair.start()
        for _ in 0..<200 where (h["queued"] as? Int ?? 0) < 1 { Thread.sleep(forTimeInterval: 0.05); h = try Self.health(port) }
        let single = Thread {
            let r = try? HTTPTestClient.post(port: port, "/v1/completions", #"{"prompt": "Sky", "max_tokens": 4, "temperature": 0}"#)
            results.withLock { $0["single"] = r?.status ?? -1 }
        }
        single.start()
        // (b's slot is freed once the server's next write to it fails.)
        for _ in 0..<400 where !(h["queued"] as? Int == 2 && h["running"] as? Int == 1) { Thread.sleep(forTimeInterval: 0.05); h = try Self.health(port) }
        #expect(h["queued"] as? Int == 2 && h["running"] as? Int == 1, "both wait behind the running stream: \(h)")
        #expect(results.withLock { $0.isEmpty })
        a.shutdown()   // frees the last slot: both are answered
        for _ in 0..<1200 where results.withLock({ $0.count }) < 2 { Thread.sleep(forTimeInterval: 0.05) }
        #expect(results.withLock { $0 } == ["pair": 200, "single": 200])
        h = try Self.health(port)
        #expect(h["cancelled"] as? Int == 2 && h["running"] as? Int == 0, "\(h)")
    }

    @Test func nBeyondTheBatchIsRefused() throws {
        let s = try ServeProcess(extra: ["--batch", "2", "--max-n", "2"])
        defer { s.stop() }
        let r = try HTTPTestClient.post(port: s.port, "/v1/completions", #"{"prompt": "Sea", "max_tokens": 4, "n": 3}"#)
        #expect(r.status == 400, "\(r.text)")
        let bad = try SpindleBinary.run(["serve", "--checkpoint", ServeFixture.checkpoint, "--tokenizer", ServeFixture.tokenizer,
                                         "--batch", "4", "--max-n", "8"])
        #expect(bad.status == 64 && bad.stderr.contains("--max-n 8 is more than --batch 4"), "\(bad.stderr)")
    }
}

/// GeneratorSlots without HTTP: a sequence's tokens do not depend on when it joined or who it decoded with.
@Suite struct GeneratorSlotsTests {
    @Test func staggeredSequencesMatchTheirSoloRuns() throws {
        let model = try LlamaModel(config: LlamaConfig(dim: 64, nLayers: 2, nHeads: 4, hiddenDim: 160, vocabSize: 97, maxSeqLen: 64), seed: 3)
        let prompts: [[Int32]] = [[1, 5, 9, 13], [1, 40], [1, 7, 7, 7, 7, 7, 7, 7, 7, 21], [1, 60, 61]]
        var o = SamplingOptions()
        o.stopToken = nil; o.topP = 0.9
        func options(_ i: Int) -> SamplingOptions {
            var x = o
            x.temperature = i % 2 == 0 ? 0 : 1; x.maxNewTokens = 10 + 7 * i
            return x
        }
        func drain(_ slots: GeneratorSlots, into out: inout [Int: [Int32]], owner: [Int: Int]) {
            for t in slots.step() { if let tok = t.token, let who = owner[t.slot] { out[who, default: []].append(tok) } }
        }
        var solo: [Int: [Int32]] = [:]
        for (i, p) in prompts.enumerated() {
            let slots = GeneratorSlots(model: model, capacity: 4, threads: 2)
            let s = try #require(slots.admit(prompt: p, seeds: [UInt64(100 + i)], options: options(i)))
            while !slots.activeSlots.isEmpty { drain(slots, into: &solo, owner: [s[0]: i]) }
        }
        // Together: one more joins every three steps; slots freed by finished ones are reused.
        let slots = GeneratorSlots(model: model, capacity: 2, threads: 2)
        var together: [Int: [Int32]] = [:], owner: [Int: Int] = [:], next = 0, steps = 0
        while next < prompts.count || !slots.activeSlots.isEmpty {
            if next < prompts.count && steps % 3 == 0, let s = slots.admit(prompt: prompts[next], seeds: [UInt64(100 + next)], options: options(next)) {
                owner[s[0]] = next; next += 1
            }
            drain(slots, into: &together, owner: owner)
            steps += 1
        }
        #expect(solo.count == prompts.count && together == solo)
        #expect(together[3]?.count == 31)
    }
}

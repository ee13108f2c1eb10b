// The queue: a client that hangs up mid-stream frees the decoder at once, and a full queue answers 429.
// Runs on a random-weight model big enough that a long answer takes seconds in a debug build, with
// `--batch 1` where a request must wait behind a running one (ContinuousBatchingTests has the batch).
import Foundation
import Testing
import SpindleTestSupport

@Suite(.serialized, .requires(ServeFixture.ready))
struct ServeQueueTests {
    static func health(_ port: Int) throws -> [String: Any] { try HTTPTestClient.request(port: port, "GET", "/health").json }

    /// Opens a stream of a long greedy answer and reads until its first text piece has arrived.
    static func openLongStream(port: Int) throws -> TestSocket {
        let sock = try TestSocket(port: port)
        try sock.send(HTTPTestClient.requestBytes("POST", "/v1/completions",
                                                  body: #"{"prompt": "Coral", "max_tokens": 900, "temperature": 0, "stream": true}"#))
        var seen = ""
        while !seen.contains(#""text":""#) || seen.components(separatedBy: #""text":""#).count < 3 {
            let chunk = try sock.receive()
            if chunk.isEmpty { break }
            seen += String(decoding: chunk, as: UTF8.self)
        }
        #expect(!seen.contains("[DONE]"), "the long answer ended before the test could hang up")
        return sock
    }

    @Test func hangingUpMidStreamFreesTheDecoderAtOnce() throws {
        let s = try ServeProcess(checkpoint: ServeFixture.slowCheckpoint, extra: ["--batch", "1", "--max-n", "1"])
        defer { s.stop() }
        // How fast this build decodes: a short answer, timed.
        let t0 = Date()
        let short = try HTTPTestClient.post(port: s.port, "/v1/completions", #"{"prompt": "Coral", "max_tokens": 20, "temperature": 0}"#)
        let perToken = Date().timeIntervalSince(t0) / 20
        #expect(short.status == 200)

        let sock = try Self.openLongStream(port: s.port)
        #expect(try Self.health(s.port)["running"] as? Int == 1)
        sock.shutdown()
        // The next request is answered about as fast as on an idle server, not after 900 tokens.
        let t1 = Date()
        let next = try HTTPTestClient.post(port: s.port, "/v1/completions", #"{"prompt": "Bread", "max_tokens": 20, "temperature": 0}"#)
        let waited = Date().timeIntervalSince(t1)
        #expect(next.status == 200)
        #expect(waited < perToken * 300, "waited \(waited) s; 900 tokens take about \(perToken * 900) s")
        let h = try Self.health(s.port)
        #expect(h["cancelled"] as? Int == 1 && h["running"] as? Int == 0, "\(h)")
    }

    @Test func aFullQueueAnswers429AndServesTheRest() throws {
        let s = try ServeProcess(checkpoint: ServeFixture.slowCheckpoint, extra: ["--max-queue", "1", "--batch", "1", "--max-n", "1"])
        defer { s.stop() }
        let sock = try Self.openLongStream(port: s.port)          // running
        let queued = Locked<HTTPReply?>(nil)
        let port = s.port
        let waiter = Thread {
            let r = try? HTTPTestClient.post(port: port, "/v1/completions", #"{"prompt": "Bread", "max_tokens": 5}"#)
            queued.withLock { $0 = r }
        }
        waiter.start()
        var h: [String: Any] = [:]
        for _ in 0..<100 where (h["queued"] as? Int ?? 0) < 1 {
            Thread.sleep(forTimeInterval: 0.05)
            h = try Self.health(s.port)
        }
        #expect(h["queued"] as? Int == 1)
        let refused = try HTTPTestClient.post(port: s.port, "/v1/completions", #"{"prompt": "Sea", "max_tokens": 5}"#)
        #expect(refused.status == 429 && (refused.json["error"] as? [String: Any])?["code"] as? String == "queue_full", "\(refused.text)")
        sock.shutdown()
        for _ in 0..<600 where queued.withLock({ $0 }) == nil { Thread.sleep(forTimeInterval: 0.05) }
        #expect(queued.withLock { $0?.status } == 200)
    }

    @Test func aStreamingClientThatLeavesWhileQueuedLeavesTheQueue() throws {
        let s = try ServeProcess(checkpoint: ServeFixture.slowCheckpoint, extra: ["--batch", "1", "--max-n", "1"])
        defer { s.stop() }
        let running = try Self.openLongStream(port: s.port)
        let queued = try TestSocket(port: s.port)
        try queued.send(HTTPTestClient.requestBytes("POST", "/v1/completions", body: #"{"prompt": "Sea", "max_tokens": 5, "stream": true}"#))
        var h: [String: Any] = [:]
        for _ in 0..<100 where (h["queued"] as? Int ?? 0) < 1 {
            Thread.sleep(forTimeInterval: 0.05)
            h = try Self.health(s.port)
        }
        #expect(h["queued"] as? Int == 1)
        queued.shutdown()
        let t0 = Date()
        while (h["queued"] as? Int ?? 0) > 0 && Date().timeIntervalSince(t0) < 10 {
            Thread.sleep(forTimeInterval: 0.1)
            h = try Self.health(s.port)
        }
        #expect(h["queued"] as? Int == 0 && h["running"] as? Int == 1, "\(h)")   // gone, while the first still decodes
        #expect(h["cancelled"] as? Int == 1)
        running.shutdown()
    }
}

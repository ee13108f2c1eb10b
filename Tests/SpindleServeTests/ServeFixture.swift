// What the serve tests share: a tokenizer and a small checkpoint trained with spindle itself (once per
// test process), a larger random-weight checkpoint that decodes slowly enough to hang up on, and
// `spindle serve` run as a child process on a free port.
import Foundation
import Testing
import SpindleTestSupport
import SpindleTrainer

enum ServeFixture {
    /// tok.model (400 pieces) and run/checkpoint (1 layer, context 128), trained on the demo encyclopedia.
    static let dir: String = {
        let t = TempDir("serve-fixture")
        let text = TestPaths.corpusFiles("encyclopedia", suffix: ".txt").map {
            String(decoding: readBytes($0), as: UTF8.self)
        }.joined(separator: "\n")
        _ = try? t.write("text.txt", text)
        _ = try? SpindleBinary.run(["tokenizer", "train", "--input", t.sub("text.txt"), "--model_prefix", t.sub("tok"), "--vocab_size", "400"])
        let ids = (try? SpindleBinary.run(["tokenizer", "encode", "--model", t.sub("tok.model"), t.sub("text.txt")]).stdout) ?? ""
        _ = try? t.write("ids.txt", ids.split(separator: "\n").prefix(200).joined(separator: "\n") + "\n")
        var cfg = TinyTrainConfig(vocab: 400, seqLen: 128, steps: 4, warmup: 1, checkpointEvery: 4)
        cfg.dim = 32
        _ = try? t.write("cfg.json", cfg.json)
        _ = try? SpindleBinary.run(["train", "pretrain", "--config", t.sub("cfg.json"), "--train-data", t.sub("ids.txt"), "--output", t.sub("run")])
        return t.path
    }()
    static var tokenizer: String { dir + "/tok.model" }
    static var checkpoint: String { dir + "/run/checkpoint" }

    /// A 4-layer random-weight model with a 1024-token context: hundreds of debug-build decoding steps
    /// take seconds, so a test can hang up while it decodes.
    static let slowCheckpoint: String = {
        let path = dir + "/slow"
        if !FileManager.default.fileExists(atPath: path + "/config.json") {
            let c = LlamaConfig(dim: 192, nLayers: 4, nHeads: 4, hiddenDim: 512, vocabSize: 400, maxSeqLen: 1024)
            if let m = try? LlamaModel(config: c, seed: 11) { try? Checkpoint.save(m, to: path) }
        }
        return path
    }()

    static var ready: Requirement {
        Requirement(SpindleBinary.exists && FileManager.default.fileExists(atPath: checkpoint + "/config.json"),
                    "no spindle binary or the fixture checkpoint could not be trained")
    }
}

/// `spindle serve` on a free port, stopped by `stop()`.
final class ServeProcess {
    let process = Process()
    let port: Int
    private let stderrLines = Locked<[String]>([])

    init(checkpoint: String = ServeFixture.checkpoint, extra: [String] = []) throws {
        process.executableURL = URL(fileURLWithPath: SpindleBinary.path)
        process.arguments = ["serve", "--checkpoint", checkpoint, "--tokenizer", ServeFixture.tokenizer, "--port", "0", "--threads", "1"] + extra
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let lines = stderrLines
        let found = DispatchSemaphore(value: 0)
        Thread {
            var pending = ""
            while true {
                let d = err.fileHandleForReading.availableData
                if d.isEmpty { break }
                pending += String(decoding: d, as: UTF8.self)
                while let nl = pending.firstIndex(of: "\n") {
                    lines.withLock { $0.append(String(pending[..<nl])) }
                    pending = String(pending[pending.index(after: nl)...])
                    found.signal()
                }
            }
            found.signal()
        }.start()
        let deadline = Date().addingTimeInterval(60)
        var bound: Int? = nil
        while bound == nil && Date() < deadline && process.isRunning {
            _ = found.wait(timeout: .now() + 1)
            bound = lines.withLock { $0 }.lazy.compactMap { l -> Int? in
                guard let r = l.range(of: "listening on http://127.0.0.1:") else { return nil }
                return Int(l[r.upperBound...].prefix { $0.isNumber })
            }.first
        }
        guard let bound else {
            process.terminate()
            throw TestClientError(description: "spindle serve did not start: \(lines.withLock { $0 }.joined(separator: "\n"))")
        }
        port = bound
    }

    var stderr: String { stderrLines.withLock { $0 }.joined(separator: "\n") }

    func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }
}

/// A value shared between threads.
final class Locked<T>: @unchecked Sendable {   // Why @unchecked Sendable: every access holds `lock`.
    private let lock = NSLock()
    private var value: T
    init(_ value: T) { self.value = value }
    func withLock<R>(_ body: (inout T) -> R) -> R { lock.lock(); defer { lock.unlock() }; return body(&value) }
}

import Foundation
import Testing
import SpindleTestSupport

/// Black-box tests of the `spindle` binary built with the tests: exit codes, stdin/stdout, atomic outputs.
enum CLI {
    static var binary: String { SpindleBinary.path }

    @discardableResult
    static func run(_ args: [String], stdin: String? = nil) throws -> ProcessResult { try SpindleBinary.run(args, stdin: stdin) }
}

@Suite(.requires(.spindleBinary)) struct CLITests {
    @Test func helpTeachesAndVersionPrints() throws {
        let help = try CLI.run(["ingest", "--help"])
        #expect(help.status == 0)
        // Each part on its own: the help names the formats, shows examples and the usage line.
        #expect(help.stdout.contains("wiki-xml"))
        #expect(help.stdout.contains("Examples"))
        #expect(help.stdout.contains("USAGE: spindle ingest"))
        #expect(try CLI.run(["--version"]).stdout.hasPrefix("0."))
    }

    @Test func ingestReadsStdinWritesStdout() throws {
        let r = try CLI.run(["ingest", "--format", "jsonl", "--source", "web"], stdin: "{\"text\":\"hello\",\"url\":\"u\"}\n")
        #expect(r.status == 0)
        #expect(r.stdout == "{\"id\":\"web:stdin:1\",\"text\":\"hello\",\"source\":\"web\",\"url\":\"u\"}\n")
        #expect(r.stderr.contains("1 documents"))
    }

    @Test func badInputExits65WithFileAndLine() throws {
        let tmp = TempDir("cli"); defer { tmp.cleanup() }
        let dir = tmp.path
        try "{\"text\":\"ok\"}\n{\"text\":3}\n".write(toFile: dir + "/in.jsonl", atomically: true, encoding: .utf8)
        let r = try CLI.run(["ingest", "--format", "jsonl", dir + "/in.jsonl", "-o", dir + "/out.jsonl"])
        #expect(r.status == 65)
        #expect(r.stderr.contains(dir + "/in.jsonl:2: field 'text': expected a string"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/out.jsonl"), "a failed run leaves no output file")
        let skip = try CLI.run(["ingest", "--format", "jsonl", "--on-error", "skip", "--rejects", dir + "/rej.jsonl", dir + "/in.jsonl"])
        #expect(skip.status == 0)
        #expect(skip.stderr.contains("skipped 1 line: wrong type"))
        #expect(try String(contentsOfFile: dir + "/rej.jsonl", encoding: .utf8) == "{\"text\":3}\n")
    }

    @Test func missingFileExits66AndUsageErrorsExit64() throws {
        #expect(try CLI.run(["ingest", "--format", "text", "/nonexistent/x.txt"]).status == 66)
        #expect(try CLI.run(["ingest", "--format", "nope"]).status == 64)
    }

    @Test func fileOutputIsZstdAndCarriesAManifest() throws {
        let tmp = TempDir("cli"); defer { tmp.cleanup() }
        let dir = tmp.path
        try "one\n\ntwo\n".write(toFile: dir + "/a.txt", atomically: true, encoding: .utf8)
        let r = try CLI.run(["ingest", "--format", "text", "--blocks", dir + "/a.txt", "-o", dir + "/docs.jsonl.zst"])
        #expect(r.status == 0)
        let head = try Data(contentsOf: URL(fileURLWithPath: dir + "/docs.jsonl.zst")).prefix(4)
        #expect(head == Data([0x28, 0xB5, 0x2F, 0xFD]))
        let manifest = try String(contentsOfFile: dir + "/docs.jsonl.zst.manifest.json", encoding: .utf8)
        #expect(manifest.contains("\"sha256\"") && manifest.contains("\"blocks\": true"))
        // Reading the compressed output back through stdin: zstd is sniffed by its magic number.
        let back = try CLI.run(["validate", "--kind", "document", "--echo", dir + "/docs.jsonl.zst"])
        #expect(back.stdout.split(separator: "\n").count == 2)
    }

    /// A run killed mid-way leaves nothing under the final name; a terminated one leaves no litter.
    @Test(arguments: [SIGKILL, SIGTERM]) func killedRunLeavesNoOutput(signal: Int32) throws {
        let tmp = TempDir("cli"); defer { tmp.cleanup() }
        let dir = tmp.path
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CLI.binary)
        p.arguments = ["ingest", "--format", "jsonl", "-o", dir + "/out.jsonl"]
        let input = Pipe()
        p.standardInput = input
        p.standardError = Pipe()
        try p.run()
        // Feed some records, then stall with stdin still open, as a slow upstream would.
        for i in 0..<2000 { input.fileHandleForWriting.write(Data("{\"text\":\"record \(i)\"}\n".utf8)) }
        var tries = 0
        while tries < 200, (try FileManager.default.contentsOfDirectory(atPath: dir)).isEmpty { usleep(10_000); tries += 1 }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).contains { $0.hasPrefix(".out.jsonl.tmp-") })
        kill(p.processIdentifier, signal)
        p.waitUntilExit()
        try? input.fileHandleForWriting.close()
        let left = try FileManager.default.contentsOfDirectory(atPath: dir)
        #expect(!left.contains("out.jsonl"))
        if signal == SIGTERM { #expect(left.isEmpty, "SIGTERM removes the temporary file: \(left)") }
    }

    /// A stalled run that writes to stdout (no temporary file) still dies of SIGTERM when its parent
    /// spawned it with SIGTERM blocked; before the fix it ignored SIGTERM until stdin closed.
    @Test func terminateStopsARunSpawnedWithTheSignalBlocked() throws {
        var block = sigset_t(), saved = sigset_t()
        sigemptyset(&block); sigaddset(&block, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &block, &saved)   // the child inherits this thread's mask
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CLI.binary)
        p.arguments = ["ingest", "--format", "jsonl"]
        let input = Pipe()
        p.standardInput = input
        p.standardOutput = Pipe(); p.standardError = Pipe()
        let started = Result { try p.run() }
        pthread_sigmask(SIG_SETMASK, &saved, nil)
        try started.get()
        defer { try? input.fileHandleForWriting.close() }
        input.fileHandleForWriting.write(Data("{\"text\":\"one record\"}\n".utf8))
        usleep(300_000)
        kill(p.processIdentifier, SIGTERM)
        var waited = 0
        while p.isRunning && waited < 100 { usleep(50_000); waited += 1 }
        let stopped = !p.isRunning
        if !stopped { kill(p.processIdentifier, SIGKILL) }
        p.waitUntilExit()
        #expect(stopped, "SIGTERM did not stop the run within 5 s")
        #expect(p.terminationReason == .uncaughtSignal && p.terminationStatus == SIGTERM)
    }

    /// `nohup spindle … -o FILE`: an ignored SIGHUP stays ignored, and the run completes.
    @Test func ignoredHangupStaysIgnored() throws {
        let tmp = TempDir("cli"); defer { tmp.cleanup() }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "trap '' HUP; exec \"$0\" ingest --format jsonl -o \"$1\"", CLI.binary, tmp.path + "/out.jsonl"]
        let input = Pipe()
        p.standardInput = input
        p.standardError = Pipe()
        try p.run()
        input.fileHandleForWriting.write(Data("{\"text\":\"before the hangup\"}\n".utf8))
        var tries = 0
        while tries < 200, (try FileManager.default.contentsOfDirectory(atPath: tmp.path)).isEmpty { usleep(10_000); tries += 1 }
        kill(p.processIdentifier, SIGHUP)
        usleep(200_000)
        #expect(p.isRunning, "SIGHUP stopped a run whose parent ignores it")
        if p.isRunning { try input.fileHandleForWriting.write(contentsOf: Data("{\"text\":\"after the hangup\"}\n".utf8)) }
        try input.fileHandleForWriting.close()
        p.waitUntilExit()
        #expect(p.terminationReason == .exit && p.terminationStatus == 0)
        let out = try String(contentsOfFile: tmp.path + "/out.jsonl", encoding: .utf8)
        #expect(out.split(separator: "\n").count == 2)
    }

    @Test func printConfigShowsTheResolvedConfiguration() throws {
        let r = try CLI.run(["convert", "hh", "--aspect", "safety", "--print-config"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("\"aspect\": \"safety\"") && r.stdout.contains("\"degree\": \"negligibly_better\""))
    }

    @Test func rejectionSFTLearningRateReachesTheSFTPassAndIsRangeChecked() throws {
        let base = ["train", "rejection", "--init", "p", "--prompts", "s", "--helpfulness-rm", "r", "-o", "o"]
        let r = try CLI.run(base + ["--sft-lr", "2.5e-05", "--print-config"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("\"lr\": 2.5e-05"), "\(r.stdout)")
        let preset = try CLI.run(base + ["--print-config"])
        #expect(preset.status == 0 && preset.stdout.contains("\"lr\": 0.001"), "sft-nano's own lr: \(preset.stdout)")
        for bad in ["0", "-1e-4", "2", "nan"] {
            let b = try CLI.run(base + ["--sft-lr", bad])
            #expect(b.status == 64, "--sft-lr \(bad) exits \(b.status)")
        }
    }

    @Test func anUnknownPresetSaysWherePresetsWereLookedFor() throws {
        let r = try CLI.run(["train", "pretrain", "--config", "no-such-preset", "--train-data", "x", "-o", "y", "--print-config"])
        #expect(r.status == 66, "\(r.stderr)")
        #expect(r.stderr.contains("no-such-preset: no such config file, and no preset no-such-preset.json in configs"), "\(r.stderr)")
        let named = try CLI.run(["train", "pretrain", "--config", "nano", "--train-data", "x", "-o", "y", "--print-config"])
        #expect(named.status == 0, "a preset by name resolves: \(named.stderr)")
    }

    @Test func sameInputSameBytes() throws {
        let input = "{\"id\":\"a\",\"text\":\"x\\ty\"}\n{\"id\":\"b\",\"text\":\"z\",\"k\":[1, 2]}\n"
        let a = try CLI.run(["ingest", "--format", "jsonl"], stdin: input)
        let b = try CLI.run(["ingest", "--format", "jsonl"], stdin: input)
        #expect(a.stdout == b.stdout && !a.stdout.isEmpty)
    }

    @Test(.requires(.sharedData("preference/hh-rlhf/harmless-base-part-a.jsonl.gz"))) func convertsTheRealHHFile() throws {
        let r = try CLI.run(["convert", "hh", "--aspect", "safety", SharedData.path("preference/hh-rlhf/harmless-base-part-a.jsonl.gz")])
        #expect(r.status == 0)
        #expect(r.stdout.split(separator: "\n").count == 1387)
    }
}

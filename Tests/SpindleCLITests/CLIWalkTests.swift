import Foundation
import Testing
import SpindleTestSupport

/// Walks every subcommand `spindle --help` lists (recursively) and checks the README's promises on
/// each: `--help` exits 0; `--print-config` exits 0 with JSON; a missing input exits 66 with one line
/// on stderr (no usage text); an unknown flag exits 64.
@Suite struct CLIWalkTests {
    static let missing = "/nonexistent/spindle-walk/missing"

    /// Arguments that make each command read a missing input (`missing`); `OUT` becomes a fresh
    /// temporary directory. The walk fails when `spindle --help` lists a command this table lacks,
    /// or the table names one `--help` does not list.
    static let runs: [String: [String]] = {
        let m = missing
        return [
            "ingest": ["--format", "text", m],
            "convert": ["alpaca", m],
            "validate": ["--kind", "document", m],
            "tokenizer encode": ["--model", m],
            "tokenizer decode": ["--model", m],
            "tokenizer info": ["--model", m],
            "tokenizer explain": ["--model", m, "hello"],
            "tokenizer train": ["--input", m, "--model_prefix", "OUT/tok"],
            "tokenizer merge": ["--base", m, "--add", m, "-o", "OUT/merged.model"],
            "dedup run": [m],
            "dedup signatures": [m],
            "dedup clusters": [m],
            "dedup select": [m],
            "dedup apply": ["--removals", m, m],
            "dedup keys": [m],
            "dedup repeats": [m],
            "pii": [m],
            "upsample": ["--weights", "web=1", m],
            "classify train": ["--factual", m, "--web", m, "-o", "OUT/f.spcl"],
            "classify score": ["--model", m],
            "pack pretrain": ["--tokenizer", m, "-o", "OUT/shards", m],
            "pack sft": ["--tokenizer", m, "-o", "OUT/shards", m],
            "pack preference": ["--tokenizer", m, "-o", "OUT/shards", m],
            "shards inspect": [m],
            "shards verify": [m],
            "train pretrain": ["--config", "nano", "--train-data", m, "--output", "OUT/run"],
            "train sft": ["--init", m, "--train-data", m, "-o", "OUT/run"],
            "train rm": ["--init", m, "--train-data", m, "-o", "OUT/run"],
            "train rejection": ["--init", m, "--prompts", m, "--helpfulness-rm", m, "-o", "OUT/run"],
            "train ppo": ["--init", m, "--prompts", m, "--helpfulness-rm", m, "-o", "OUT/run"],
            "train dpo": ["--init", m, "--train-data", m, "-o", "OUT/run"],
            "generate": ["--checkpoint", m, "--ids", "1"],
            "serve": ["--checkpoint", m, "--tokenizer", m],
            "score": ["--checkpoint", m, m],
            "eval lm": ["--checkpoint", m, "--tokenizer", m, "--task", "arc_easy", "--data", m],
            "eval ppl": ["--checkpoint", m, "--tokenizer", m, "--data", m],
            "eval rm": ["--checkpoint", m, "--tokenizer", m],
            "eval report": [m, "-o", "OUT/table.html"],
            "eval winrate": ["--model-a", m, "--model-b", m, "--tokenizer", m, "--prompts", m, "--helpfulness-rm", m],
            "model resize": ["--checkpoint", m, "--tokenizer", m, "-o", "OUT/resized"],
            "lora merge": ["--checkpoint", m, "--adapter", m, "-o", "OUT/merged"],
            "report": [m],
            "bench sgemm": ["--config", m],
            "bench tokenizer": ["--model", m, m],
        ]
    }()

    /// Subcommand names from a help text's SUBCOMMANDS section ("run (default)" gives "run").
    static func subcommands(_ help: String) -> [String] {
        guard let start = help.range(of: "SUBCOMMANDS:\n") else { return [] }
        var names: [String] = []
        for line in help[start.upperBound...].split(separator: "\n", omittingEmptySubsequences: false) {
            if line.isEmpty { break }
            // A name starts two spaces in; wrapped abstracts are indented further.
            guard line.hasPrefix("  "), !line.hasPrefix("   "), let name = line.split(separator: " ").first else { continue }
            names.append(String(name))
        }
        return names
    }

    /// Every leaf command, as its words after `spindle`, found by following `--help` down.
    static func leaves() throws -> [[String]] {
        var out: [[String]] = [], queue: [[String]] = [[]]
        while let path = queue.popLast() {
            let help = try CLI.run(path + ["--help"])
            #expect(help.status == 0, "spindle \(path.joined(separator: " ")) --help exits \(help.status)")
            let subs = subcommands(help.stdout)
            if subs.isEmpty { out.append(path) } else { queue += subs.map { path + [$0] } }
        }
        return out.sorted { $0.joined(separator: " ") < $1.joined(separator: " ") }
    }

    @Test func everyCommandKeepsTheDocumentedContract() throws {
        let leaves = try Self.leaves()
        let listed = Set(leaves.map { $0.joined(separator: " ") })
        let unlisted = listed.subtracting(Self.runs.keys).sorted(), stale = Set(Self.runs.keys).subtracting(listed).sorted()
        #expect(unlisted.isEmpty && stale.isEmpty, "commands without a walk entry: \(unlisted); entries for no command: \(stale)")
        #expect(listed.count >= 30)
        for path in leaves {
            let name = "spindle " + path.joined(separator: " ")
            guard let template = Self.runs[path.joined(separator: " ")] else { continue }
            let dir = TempDir("cli").path
            let args = path + template.map { $0.replacingOccurrences(of: "OUT", with: dir) }

            let config = try CLI.run(args + ["--print-config"])
            #expect(config.status == 0, "\(name) --print-config exits \(config.status): \(config.stderr)")
            let parsed = try? JSONSerialization.jsonObject(with: Data(config.stdout.utf8))
            #expect(parsed is [String: Any], "\(name) --print-config prints no JSON object: \(config.stdout.prefix(200))")

            let run = try CLI.run(args, stdin: "")
            let lines = run.stderr.split(separator: "\n")
            #expect(run.status == 66, "\(name) with a missing input exits \(run.status): \(run.stderr)")
            #expect(lines.count == 1 && !run.stderr.contains("Usage:"), "\(name): not one line on stderr: \(run.stderr)")
            #expect(run.stderr.hasPrefix("spindle "), "\(name): message does not name the command: \(run.stderr)")

            let usage = try CLI.run(path + ["--no-such-flag"])
            #expect(usage.status == 64, "\(name) --no-such-flag exits \(usage.status)")
        }
    }

    @Test func corruptModelIsBadData() throws {
        let dir = TempDir("cli").path
        try Data("not a model".utf8).write(to: URL(fileURLWithPath: dir + "/bad.model"))
        for args in [["tokenizer", "encode", "--model", dir + "/bad.model"], ["tokenizer", "info", "--model", dir + "/bad.model"]] {
            let r = try CLI.run(args, stdin: "")
            #expect(r.status == 65, "\(args.joined(separator: " ")) exits \(r.status): \(r.stderr)")
        }
    }

    /// One size parser: every size flag takes the same spellings and the same range.
    @Test func sizeFlagsShareOneParser() throws {
        let dedup = ["dedup", "--near", "--print-config", "--memory-budget"]
        let train = ["tokenizer", "train", "--input", "x", "--model_prefix", "y", "--print-config", "--memory-budget"]
        for base in [dedup, train] {
            #expect(try CLI.run(base + ["1T"]).status == 0, "\(base[0]) refuses 1T")
            #expect(try CLI.run(base + ["512m"]).status == 0, "\(base[0]) refuses 512m")
            #expect(try CLI.run(base + ["0"]).status == 64, "\(base[0]) accepts 0")
            #expect(try CLI.run(base + ["lots"]).status == 64, "\(base[0]) accepts lots")
        }
    }

    /// Presets resolve from the package's configs/ whatever the working directory.
    @Test func presetsResolveOutsideThePackage() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CLI.binary)
        p.arguments = ["train", "pretrain", "--config", "nano", "--print-config"]
        p.currentDirectoryURL = URL(fileURLWithPath: TempDir("cli").path)
        let out = Pipe()
        p.standardOutput = out
        p.standardError = Pipe()
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        #expect(String(decoding: data, as: UTF8.self).contains("\"dim\": 64"))
    }
}

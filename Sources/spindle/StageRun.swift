import ArgumentParser
import SpindleIO

/// What a stage reports when it is done: the one-line summary for stderr, and the JSON written to
/// `--report FILE` when one is asked for.
struct StageOutcome {
    var summary: String
    var report: JSONValue? = nil
}

/// The runner every data command goes through: opens the output, runs the stage, commits the output,
/// writes `--report` and the `NAME.manifest.json` beside an `-o` file (inputs with sizes and SHA-256,
/// the resolved configuration, the seed), then logs the summary. `--print-config` is answered before
/// any of this (Spindle.main), and errors are reported by `Failure`.
struct StageRun {
    var command: String
    var config: JSONValue
    var inputs: [String]
    var report: String? = nil
    var seed: UInt64? = nil
    /// The output is a directory (shards): its manifest goes inside it as manifest.json.
    var outputIsDirectory = false

    /// A stage writing records to stdout or `-o`.
    func run(_ out: OutputOptions, _ body: (OutputFile) throws -> StageOutcome) throws {
        try run(open: out.open, path: out.output, body)
    }

    /// A stage writing records to the output `open` gives (`path` nil for stdout).
    func run(open: () throws -> OutputFile, path: String?, _ body: (OutputFile) throws -> StageOutcome) throws {
        try OutputTarget.checkDistinct(path, option: "-o", from: inputs)
        let output = try open()
        let outcome = try body(output)
        try output.commit()
        try finish(outcome, output: path)
    }

    /// A stage writing its own output file (a model, a removal list) at `output`.
    func run(output: String?, _ body: () throws -> StageOutcome) throws {
        try finish(try body(), output: output)
    }

    private func finish(_ outcome: StageOutcome, output: String?) throws {
        if let report, let json = outcome.report { try OutputFile.write(Manifest.pretty(json) + [0x0A], to: report) }
        if let output, output != "-", !OutputTarget.isSpecial(output) {   // no manifest in /dev
            var m = Manifest(command: command, config: config, seed: seed)
            for f in inputs where f != "-" { try m.addInput(f) }
            m.outputs = [output]
            try m.write(to: Manifest.path(for: output, isDirectory: outputIsDirectory))
        }
        StandardError.line(outcome.summary)
    }
}

import ArgumentParser
import SpindleIO

/// What a stage reports when it is done: the one-line summary for stderr, and the JSON written to
/// `--report FILE` when one is asked for.
struct StageOutcome {
    var summary: String
    var report: JSONValue? = nil
    /// Records read (skipped bad ones included) and records written, for the empty-output check;
    /// nil for stages whose output is not records (a removal list may rightly be empty).
    var records: (read: Int, written: Int)? = nil
}

/// A run that read records and wrote none: the whole input vanished, which a unix filter must never
/// do silently. Exit 65 unless `--allow-empty`.
struct EmptyOutputError: SpindleError {
    var read: Int
    var exitCode: Int32 { ExitStatus.dataError }
    var description: String {
        "\(read) record\(read == 1 ? "" : "s") read, none written: every one was filtered out or skipped " +
        "(--allow-empty accepts an empty output)"
    }
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
    /// `--allow-empty`: an output with no records out of a non-empty input is a success.
    var allowEmpty = false

    /// A stage writing records to stdout or `-o`.
    func run(_ out: OutputOptions, _ body: (OutputFile) throws -> StageOutcome) throws {
        try run(open: out.open, path: out.output, body)
    }

    /// A stage writing records to the output `open` gives (`path` nil for stdout).
    func run(open: () throws -> OutputFile, path: String?, _ body: (OutputFile) throws -> StageOutcome) throws {
        try OutputTarget.checkDistinct(path, option: "-o", from: inputs)
        let output = try open()
        let outcome = try body(output)
        try checkNotEmptied(outcome)   // before the commit: a refused run leaves no output file
        try output.commit()
        try finish(outcome, output: path)
    }

    /// A stage writing its own output file (a model, a removal list) at `output`.
    func run(output: String?, _ body: () throws -> StageOutcome) throws {
        let outcome = try body()
        try checkNotEmptied(outcome)
        try finish(outcome, output: output)
    }

    /// The one empty-output rule every data command shares: records in, none out, is an error
    /// (stderr names the counts) unless `--allow-empty`.
    private func checkNotEmptied(_ outcome: StageOutcome) throws {
        guard let r = outcome.records, r.read > 0, r.written == 0 else { return }
        if allowEmpty {
            StandardError.line("\(command): \(r.read) record\(r.read == 1 ? "" : "s") read, none written (--allow-empty)")
            return
        }
        StandardError.line(outcome.summary)
        throw EmptyOutputError(read: r.read)
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

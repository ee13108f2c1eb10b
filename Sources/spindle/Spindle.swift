import ArgumentParser
import SpindleIO

/// The `spindle` command: a thin layer over the Spindle libraries. One file per command.
@main
struct Spindle: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spindle",
        abstract: "Raw text to a small aligned chat model, the Llama 2 way, on one machine.",
        discussion: """
        Data stages are unix filters: JSONL on stdin, JSONL on stdout, logs on stderr.
          spindle ingest --format wiki-xml dump.xml.gz | spindle dedup --near | spindle pii > clean.jsonl
        Files ending in .zst are read and written compressed.
        Exit codes: 0 success, 64 usage, 65 bad data, 66 missing input, 74 I/O failure.
        """,
        version: SpindleVersion.string,
        subcommands: [
            IngestCommand.self,
            ConvertCommand.self,
            ValidateCommand.self,
            TokenizerCommand.self,
            ModelCommand.self,
            LoRACommand.self,
            DedupCommand.self,
            PIICommand.self,
            UpsampleCommand.self,
            ClassifyCommand.self,
            PackCommand.self,
            ShardsCommand.self,
            Train.self,
            Generate.self,
            Serve.self,
            Score.self,
            EvalCommand.self,
            ReportCommand.self,
            BenchCommand.self,
        ])

    /// Parses, answers `--print-config`, runs, and reports any failure through `Failure`: the one
    /// place where errors become messages and exit codes.
    static func main() {
        TemporaryFiles.acceptTerminationSignals()   // before any thread starts, so all inherit it
        var command: ParsableCommand
        do { command = try parseAsRoot() } catch { exit(withError: error) }
        let name = Failure.commandName(type(of: command))
        do {
            if let c = command as? Configurable, c.config.printConfig {
                print(String(decoding: Manifest.pretty(try c.configJSON), as: UTF8.self))
                return
            }
            if let w = command as? WritesNamedOutputs { try w.checkNamedOutputs() }   // before any work
            try command.run()
        } catch {
            guard let failure = Failure.describe(error) else { exit(withError: error) }
            StandardError.line("\(name): \(failure.message)")
            exit(withError: ExitCode(failure.code))
        }
    }
}

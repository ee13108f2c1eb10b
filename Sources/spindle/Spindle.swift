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
        """,
        version: SpindleVersion.string,
        subcommands: [
            IngestCommand.self,
            ConvertCommand.self,
            ValidateCommand.self,
            TokenizerCommand.self,
            DedupCommand.self,
            PIICommand.self,
            UpsampleCommand.self,
            ClassifyCommand.self,
            PackCommand.self,
            ShardsCommand.self,
            Train.self,
            Generate.self,
            Score.self,
            EvalCommand.self,
            ReportCommand.self,
            TokenizerCommand.self,
        ])
}

import ArgumentParser
import SpindleIO

/// `--overwrite`: the one flag that lets a command replace files its options name (see NamedOutputs).
/// A group of its own, so every command declares it once whatever else it writes, and so it stays out
/// of `--print-config` and manifests (it changes what is replaced, never what is written).
struct OverwriteOption: ParsableArguments {
    @Flag(help: "Replace output files that already exist (without it, an existing file named as an output is refused, exit 64).")
    var overwrite = false
}

/// Where a data stage writes: stdout by default, or a file written atomically.
struct OutputOptions: ParsableArguments {
    @Option(name: [.short, .long], help: "Write to this file instead of stdout (atomically; .zst compresses).")
    var output: String?

    @Flag(help: "Compress stdout with zstd (files: by their .zst suffix).")
    var compress = false

    @OptionGroup var overwriting: OverwriteOption
    var overwrite: Bool { overwriting.overwrite }

    func open() throws -> OutputFile {
        try OutputFile(path: output, compress: output == nil ? compress : (compress ? true : nil))
    }
}

/// How a stage reads records and what it does with bad ones.
struct InputOptions: ParsableArguments {
    @Option(name: .customLong("on-error"), help: "On a bad line: fail (stop, exit 65) or skip (count it, keep going).")
    var onError: ErrorPolicy = .fail

    @Option(help: "With --on-error skip: keep every skipped line in this file, so nothing is lost.")
    var rejects: String?

    @Flag(help: "Show progress on stderr even when it is not a terminal.")
    var progress = false

    @Flag(name: .customLong("allow-empty"),
          help: "Succeed when records are read but none is written (default: say so on stderr, exit 65).")
    var allowEmpty = false

    @Option(name: .customLong("stdin-name"), help: "Name standard input NAME in messages and position-derived ids (a block of NAME piped in).")
    var stdinName: String?

    @Option(name: .customLong("stdin-line"), help: "The line number of standard input's first line (with --stdin-name).")
    var stdinLine = 1

    func validate() throws {
        try Check.int("--stdin-line", stdinLine, min: 1, max: Int.max / 2)
        if let n = stdinName {
            guard !n.isEmpty && n != "-" else { throw ValidationError("--stdin-name must name a file") }
            InputFile.stdinLabel = InputFile.StdinLabel(name: n, firstLine: stdinLine)
        } else if stdinLine != 1 {
            throw ValidationError("--stdin-line needs --stdin-name")
        }
    }
}

/// `--print-config`: every command can show the fully resolved configuration it would run with.
/// `Spindle.main` handles it for every `Configurable` command, before the command runs.
struct ConfigOptions: ParsableArguments {
    @Flag(name: .customLong("print-config"), help: "Print the resolved configuration as JSON and exit.")
    var printConfig = false
}

/// A command with `--print-config`. `configJSON` defaults to every parsed option (see ParsedOptions);
/// commands whose configuration is resolved beyond their flags (stages, pack, training) give their own.
protocol Configurable: ParsableCommand {
    var config: ConfigOptions { get }
    var configJSON: JSONValue { get throws }
}

extension Configurable {
    var configJSON: JSONValue { get throws { ParsedOptions.json(of: self) } }
}

extension ErrorPolicy: ExpressibleByArgument {}

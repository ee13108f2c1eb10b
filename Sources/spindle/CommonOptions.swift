import ArgumentParser
import SpindleIO

/// Where a data stage writes: stdout by default, or a file written atomically.
struct OutputOptions: ParsableArguments {
    @Option(name: [.short, .long], help: "Write to this file instead of stdout (atomically; .zst compresses).")
    var output: String?

    @Flag(help: "Compress stdout with zstd (files: by their .zst suffix).")
    var compress = false

    func open() throws -> OutputFile {
        try OutputFile(path: output, compress: output == nil ? compress : (compress ? true : nil))
    }

    /// Writes the provenance manifest beside a file output (stdout has none).
    func writeManifest(_ manifest: Manifest) throws {
        guard let output, output != "-" else { return }
        var m = manifest
        m.outputs = [output]
        try m.write(to: Manifest.path(for: output, isDirectory: false))
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
}

/// `--print-config`: every command can show the fully resolved configuration it would run with.
struct ConfigOptions: ParsableArguments {
    @Flag(name: .customLong("print-config"), help: "Print the resolved configuration as JSON and exit.")
    var printConfig = false

    /// Prints `config` and returns true when asked to.
    func handled(_ config: JSONValue) -> Bool {
        guard printConfig else { return false }
        print(String(decoding: Manifest.pretty(config), as: UTF8.self))
        return true
    }
}

extension ErrorPolicy: ExpressibleByArgument {}

/// Exit codes (sysexits.h): 65 bad input data, 66 missing input, 74 I/O failure; 64 bad usage
/// comes from the argument parser.
enum Exit {
    static let dataError: Int32 = 65
    static let noInput: Int32 = 66
    static let ioError: Int32 = 74

    /// Runs a command body, turning Spindle's errors into a one-line message and an exit code.
    static func reporting(_ command: String, _ body: () throws -> Void) throws {
        do {
            try body()
        } catch let e as InputError {
            StandardError.line("spindle \(command): \(e)")
            throw ExitCode(dataError)
        } catch let e as SystemError {
            StandardError.line("spindle \(command): \(e)")
            throw ExitCode(e.errno == 2 ? noInput : ioError)
        }
    }
}

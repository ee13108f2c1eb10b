import ArgumentParser
import Foundation
import SpindleEval
import SpindleIO

/// `spindle eval report`: results JSONs (one per checkpoint) as one offline HTML table.
struct EvalReport: Configurable {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "One HTML table of eval lm results: a row per task and metric, a column per results file, chance beside each figure.",
        discussion: """
        Reads results JSONs written by `spindle eval lm --output` (or lm-eval's own results JSON) and writes
        one self-contained page (no external assets). A column is labelled LABEL when given as
        LABEL=FILE, else by the file name without .json.

        example:
          spindle eval report sft=out/eval/sft.json ppo=out/eval/ppo.json -o out/eval/results.html
        """)

    @Argument(help: "Results files, each FILE or LABEL=FILE.") var files: [String]
    @Option(name: [.short, .long], help: "The HTML file to write.") var output: String
    @Option(help: "The page's title.") var title = "Benchmark results"
    @OptionGroup var config: ConfigOptions
    @OptionGroup var overwriting: OverwriteOption

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("give at least one results JSON") }
    }

    /// (label, path) of `LABEL=FILE` or `FILE` (labelled by its name without .json).
    static func labelled(_ arg: String) -> (String, String) {
        if let eq = arg.firstIndex(of: "="), !FileManager.default.fileExists(atPath: arg) {
            return (String(arg[..<eq]), String(arg[arg.index(after: eq)...]))
        }
        let name = (arg as NSString).lastPathComponent
        return (name.hasSuffix(".json") ? String(name.dropLast(5)) : name, arg)
    }

    func run() throws {
        var columns: [(label: String, rows: [ResultsRow])] = []
        for arg in files {
            let (label, path) = Self.labelled(arg)
            let json: JSONValue
            do { json = try JSONValue.parse(try InputFile.readAll(path: path)) } catch let e as JSONValue.ParseError {
                throw InputError(.format, file: path, "byte \(e.offset): \(e.message)")
            }
            columns.append((label, try ResultsTable.rows(json, file: path)))
        }
        let f = try OutputFile(path: output)
        try f.write(Array(ResultsTable.html(title: title, columns: columns).utf8))
        try f.commit()
    }
}

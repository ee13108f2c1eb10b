import ArgumentParser
import Foundation
import SpindleIO


struct ReportCommand: Configurable {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write one HTML page linking every stage's report, curves and tables under a pipeline directory.",
        discussion: """
        Walks DIR (what `make` writes into out/): data-stage reports (*.report.json), shard directories,
        training runs (report.html), reward-model evaluations (eval.txt) and figures (*.svg).
          spindle report --output out/report.html out
        """)

    @Option(name: [.short, .long], help: "The HTML file to write (default: DIR/report.html).")
    var output: String?

    @Argument(help: "The pipeline directory.")
    var directory: String

    @OptionGroup var config: ConfigOptions
    @OptionGroup var overwriting: OverwriteOption

    func run() throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw SystemError(path: directory, operation: "open for reading", errno: ENOENT)
        }
        let page = try PipelineReport.html(root: directory)
        let path = output ?? directory + "/report.html"
        try OutputFile.write(Array(page.utf8), to: path)
        StandardError.line("report: \(path)")
    }
}

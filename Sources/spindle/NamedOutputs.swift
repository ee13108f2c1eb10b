import ArgumentParser
import SpindleIO

/// A command that writes files (or a directory) its options name. `Spindle.main` checks them after
/// parsing and before `run()`, so an existing output is refused before any input is read: nothing
/// existing is replaced without `--overwrite` (`OutputTarget.checkFresh`). Standard output, devices,
/// FIFOs and sockets are written in place and never refused. Files a run writes beside a named one
/// (`NAME.manifest.json` beside `-o`) follow that file's decision and are not listed.
/// Every command that names an output conforms here, in one place; CLIWalkTests checks each of them.
protocol WritesNamedOutputs {
    /// Each file this run would write, as its option gives it (nil: the option is not given).
    var namedFiles: [String?] { get }
    /// Output directories (shards): refused when they exist and are not empty.
    var namedDirectories: [String] { get }
    /// `--overwrite`.
    var overwrite: Bool { get }
}

extension WritesNamedOutputs {
    var namedDirectories: [String] { [] }

    func checkNamedOutputs() throws(UsageError) {
        for path in namedFiles { try OutputTarget.checkFresh(path, overwrite: overwrite) }
        for dir in namedDirectories { try OutputTarget.checkFreshDirectory(dir, overwrite: overwrite) }
    }
}

/// A data stage: `-o` and, when given, `--rejects` (with `--on-error skip`).
protocol DataStageOutputs: WritesNamedOutputs {
    var out: OutputOptions { get }
    var extraFiles: [String?] { get }
}

extension DataStageOutputs {
    var extraFiles: [String?] { [] }
    var namedFiles: [String?] { [out.output] + extraFiles }
    var overwrite: Bool { out.overwrite }
}

extension IngestCommand: DataStageOutputs { var extraFiles: [String?] { [input.rejects] } }
extension ConvertCommand: DataStageOutputs { var extraFiles: [String?] { [input.rejects] } }
extension PIICommand: DataStageOutputs { var extraFiles: [String?] { [input.rejects, report] } }
extension UpsampleCommand: DataStageOutputs { var extraFiles: [String?] { [input.rejects, report, roundRecords] } }
extension ClassifyScore: DataStageOutputs { var extraFiles: [String?] { [input.rejects] } }
extension DedupSignatures: DataStageOutputs { var extraFiles: [String?] { [input.rejects] } }
extension DedupClusters: DataStageOutputs {}
extension DedupSelect: DataStageOutputs {}
extension DedupApply: DataStageOutputs {}
extension DedupKeys: DataStageOutputs { var extraFiles: [String?] { [input.rejects] } }
extension DedupRepeats: DataStageOutputs {}

extension DedupRun: DataStageOutputs {
    /// `--dry-run` writes nothing.
    var namedFiles: [String?] { dryRun ? [] : [out.output, input.rejects, report] }
}

extension ValidateCommand: WritesNamedOutputs {
    var namedFiles: [String?] { [input.rejects] }
    var overwrite: Bool { overwriting.overwrite }
}

extension ClassifyTrain: WritesNamedOutputs {
    var namedFiles: [String?] { [output, report] }
    var overwrite: Bool { overwriting.overwrite }
}

extension TokenizerTrainCommand: WritesNamedOutputs {
    var namedFiles: [String?] { [modelPrefix + ".model", modelPrefix + ".vocab"] }
    var overwrite: Bool { overwriting.overwrite }
}

extension TokenizerMergeCommand: WritesNamedOutputs {
    var namedFiles: [String?] { [output, vocabPath(output)] }
    var overwrite: Bool { overwriting.overwrite }
}

extension ReportCommand: WritesNamedOutputs {
    var namedFiles: [String?] { [output ?? directory + "/report.html"] }
    var overwrite: Bool { overwriting.overwrite }
}

/// Pack writes a shard directory; its `--overwrite` (PackOptions) also covers `--rejects`.
protocol PackOutputs: WritesNamedOutputs { var pack: PackOptions { get } }

extension PackOutputs {
    var namedFiles: [String?] { [pack.input.rejects] }
    var namedDirectories: [String] { [pack.output] }
    var overwrite: Bool { pack.overwrite }
}

extension PackPretrain: PackOutputs {}
extension PackSFT: PackOutputs {}
extension PackPreference: PackOutputs {}

extension EvalLM: WritesNamedOutputs {
    var namedFiles: [String?] { [output, html, samples] }
    var overwrite: Bool { overwriting.overwrite }
}

extension EvalPPL: WritesNamedOutputs {
    var namedFiles: [String?] { [output, svg] }
    var overwrite: Bool { overwriting.overwrite }
}

extension EvalRM: WritesNamedOutputs {
    var namedFiles: [String?] { [scores] }
    var overwrite: Bool { overwriting.overwrite }
}

extension EvalReport: WritesNamedOutputs {
    var namedFiles: [String?] { [output] }
    var overwrite: Bool { overwriting.overwrite }
}

extension EvalWinrate: WritesNamedOutputs {
    var namedFiles: [String?] { [output, html] }
    var overwrite: Bool { overwriting.overwrite }
}

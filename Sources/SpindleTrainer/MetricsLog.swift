// MetricsLog.swift: a run's metrics.jsonl, one JSON object per line, each stamped with its step.
import Foundation
import SpindleIO

/// Appends metrics lines for a run. A new run starts the file empty. A resumed run keeps the lines of
/// steps up to the checkpoint it resumes from and drops the rest — those were written by the run that
/// was killed after its last checkpoint, and the resumed run writes them again — so every step appears
/// once; a missing file is created.
final class MetricsLog {
    let path: String
    private let handle: FileHandle
    /// The lines a resumed run kept, parsed (empty for a new run): what a run replays to restore
    /// state that lives only in its log (PPO's best held-out reward so far).
    private(set) var kept: [JSONValue] = []

    /// `key` is the step counter's member ("step", or "iteration" for PPO).
    init(directory: String, resumedAt: Int?, key: String = "step") throws {
        path = directory + "/metrics.jsonl"
        var kept = Data()
        if let resumedAt, let old = FileManager.default.contents(atPath: path) {
            for line in old.split(separator: 0x0A) {
                guard case .object(let members)? = try? JSONValue.parse(Array(line)),
                      let step = members.first(where: { $0.0 == key })?.1.int64Value, step <= resumedAt else { continue }
                kept.append(line); kept.append(0x0A)
                self.kept.append(.object(members))
            }
        }
        try writeAtomically(kept, to: path)
        guard let h = FileHandle(forWritingAtPath: path) else { throw TrainerError.io(file: path, message: "cannot open for writing") }
        h.seekToEndOfFile()
        handle = h
    }

    deinit { try? handle.close() }

    func emit(_ line: String) { handle.write(Data((line + "\n").utf8)) }
}

import Foundation
import SpindleTrainer

/// Training presets (`--config nano`, `sft-nano`, …): a config path as given, or NAME looked up as
/// NAME.json in, in order, ./configs, $SPINDLE_CONFIGS, and the configs/ directory of the package the
/// running binary was built in (found by walking up from the executable), so presets resolve from any
/// working directory.
enum Presets {
    /// The training preset `name` with the command line's seed and thread count, where given.
    static func trainConfig(_ name: String, seed: UInt64?, threads: Int?) throws -> TrainConfig {
        var cfg = try load(name)
        if let seed { cfg.seed = seed }
        if let threads { cfg.threads = threads }
        return cfg
    }

    /// The training config `name` names (a path or a preset). When neither exists, the error says
    /// where presets were looked for (exit 66, a missing input).
    static func load(_ name: String) throws -> TrainConfig {
        let path = resolve(name)
        guard FileManager.default.fileExists(atPath: path) else {
            let file = name.hasSuffix(".json") ? name : name + ".json"
            throw TrainerError.io(file: name, message: "no such config file, and no preset \(file) in \(directories.joined(separator: ", "))")
        }
        return try TrainConfig.load(path)
    }

    static func resolve(_ name: String) -> String {
        let fm = FileManager.default
        if fm.fileExists(atPath: name) { return name }
        let file = name.hasSuffix(".json") ? name : name + ".json"
        for dir in directories {
            let p = dir + "/" + file
            if fm.fileExists(atPath: p) { return p }
        }
        return name
    }

    static var directories: [String] {
        var dirs = ["configs"]
        if let env = ProcessInfo.processInfo.environment["SPINDLE_CONFIGS"], !env.isEmpty { dirs.append(env) }
        if let root = packageRoot { dirs.append(root + "/configs") }
        return dirs
    }

    /// The nearest directory above the executable holding Package.swift and configs/ (the binary lives
    /// in .build/CONFIG/ of the package it was built from).
    static var packageRoot: String? {
        guard var dir = Bundle.main.executableURL?.resolvingSymlinksInPath().deletingLastPathComponent() else { return nil }
        let fm = FileManager.default
        while dir.path != "/" {
            if fm.fileExists(atPath: dir.appendingPathComponent("Package.swift").path),
               fm.fileExists(atPath: dir.appendingPathComponent("configs").path) { return dir.path }
            dir.deleteLastPathComponent()
        }
        return nil
    }
}

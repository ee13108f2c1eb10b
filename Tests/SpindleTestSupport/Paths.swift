// Where the tests find things: the package root, the committed corpora/, the optional real data in
// ../shared beside the package, and the freshly built `spindle` binary.
import Foundation

/// Paths relative to the package, derived from this file's location (Tests/SpindleTestSupport/Paths.swift).
public enum TestPaths {
    /// The package root.
    public static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()
    /// `<package>/NAME`, e.g. `package("configs/nano.json")`.
    public static func package(_ relative: String) -> String { packageRoot + "/" + relative }
    /// `<package>/corpora/NAME`: the committed demo corpus, present in every clone.
    public static func corpora(_ relative: String) -> String { packageRoot + "/corpora/" + relative }
    /// The files of `<package>/corpora/DIR` whose names end in `suffix`, sorted by name.
    public static func corpusFiles(_ dir: String, suffix: String = "") -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: corpora(dir))) ?? []
        return names.filter { $0.hasSuffix(suffix) }.sorted().map { corpora(dir + "/" + $0) }
    }
    /// `<package>/../shared`: the real data and benchmark peers on developer machines and CI.
    public static let shared = URL(fileURLWithPath: packageRoot + "/../shared").standardized.path
    /// `<package>/../shared/bench/peers`: the Python peer scripts.
    public static let sharedPeers = shared + "/bench/peers"
}

/// `<package>/../shared/data`, where the real corpora live (absent on a fresh clone elsewhere).
/// Tests that need it say so with `.requires(.sharedData(...))`.
public enum SharedData {
    /// The directory, or nil when it is absent.
    public static let root: String? = {
        let data = TestPaths.shared + "/data"
        return FileManager.default.fileExists(atPath: data) ? data : nil
    }()
    public static var available: Bool { root != nil }
    /// `../shared/data/RELATIVE` (whether or not it exists).
    public static func path(_ relative: String) -> String { TestPaths.shared + "/data/" + relative }
    /// Whether `../shared/data/RELATIVE` exists.
    public static func has(_ relative: String) -> Bool { FileManager.default.fileExists(atPath: path(relative)) }

    public static let llama2Model = path("tokenizers/llama2/tokenizer.model")
    public static let llama2Parity = path("tokenizers/llama2/parity/llama2_parity.jsonl")
    public static let shakespeare = path("pretrain/en/tinyshakespeare/input.txt")
    public static var hasLlama2: Bool { has("tokenizers/llama2/tokenizer.model") }
    public static var hasParity: Bool { has("tokenizers/llama2/parity/llama2_parity.jsonl") }
    public static var hasShakespeare: Bool { has("pretrain/en/tinyshakespeare/input.txt") }
}

/// The `spindle` executable built with the tests (SpindleCLITests depends on the target, so
/// `swift build --build-tests` always rebuilds it): the one beside the running test bundle, in the
/// same configuration as the tests. `SPINDLE_BINARY` overrides it.
public enum SpindleBinary {
    public static let path: String = {
        if let p = ProcessInfo.processInfo.environment["SPINDLE_BINARY"], !p.isEmpty { return p }
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        // macOS runs tests from Foo.xctest/Contents/MacOS/Foo; the binary sits beside Foo.xctest.
        while dir.path.contains(".xctest") { dir.deleteLastPathComponent() }
        return dir.appendingPathComponent("spindle").path
    }()
    public static var exists: Bool { FileManager.default.isExecutableFile(atPath: path) }

    /// Runs `spindle ARGS`, feeding `stdin` when given.
    @discardableResult
    public static func run(_ args: [String], stdin: String? = nil) throws -> ProcessResult {
        try runProcess(path, args, stdin: stdin.map { Data($0.utf8) })
    }
}

// Tests that need something a fresh clone may lack (../shared, a Python peer, a tool) declare it with
// `.requires(...)`. A test whose requirement is missing is skipped with the reason as its comment;
// Swift Testing prints it ("Test x() skipped: \"reason\"") and `.ci/run` counts the skips by reason.
// Never skip silently with an early `return`.
import Foundation
import Testing

/// Something a test needs, with the reason printed when it is missing.
public struct Requirement: Sendable {
    public let isMet: Bool
    public let reason: String
    public init(_ isMet: Bool, _ reason: String) { self.isMet = isMet; self.reason = reason }

    /// The whole `../shared/data` directory.
    public static var sharedData: Requirement { Requirement(SharedData.available, "no ../shared/data beside the package") }
    /// One file or directory under `../shared/data`.
    public static func sharedData(_ relative: String) -> Requirement {
        Requirement(SharedData.has(relative), "no ../shared/data/\(relative)")
    }
    public static var llama2Tokenizer: Requirement { sharedData("tokenizers/llama2/tokenizer.model") }
    public static var llama2Parity: Requirement { sharedData("tokenizers/llama2/parity/llama2_parity.jsonl") }
    public static var shakespeare: Requirement { sharedData("pretrain/en/tinyshakespeare/input.txt") }
    /// One of the peer scripts in `../shared/bench/peers`.
    public static func sharedPeer(_ script: String) -> Requirement {
        Requirement(FileManager.default.fileExists(atPath: TestPaths.sharedPeers + "/" + script),
                    "no ../shared/bench/peers/\(script)")
    }
    /// Python modules. With `SPINDLE_PYTHON` set (as in CI) this is always met, so a missing peer fails.
    public static func python(_ modules: String...) -> Requirement {
        let missing = Python.missing(modules)
        return Requirement(missing.isEmpty || Python.isExplicit,
                           "\(Python.executable) cannot import \(missing.joined(separator: ", ")) (run .ci/python-env and set SPINDLE_PYTHON)")
    }
    /// A command-line tool on PATH.
    public static func tool(_ name: String) -> Requirement { Requirement(toolExists(name), "no \(name) on PATH") }
    /// The freshly built `spindle` binary.
    public static var spindleBinary: Requirement {
        Requirement(SpindleBinary.exists, "no spindle binary at \(SpindleBinary.path) (swift build --build-tests builds it)")
    }
}

extension Trait where Self == ConditionTrait {
    /// Runs the test or suite only when every requirement is met; otherwise skips it, naming what is missing.
    public static func requires(_ requirements: Requirement...) -> Self {
        let missing = requirements.filter { !$0.isMet }.map(\.reason)
        return .enabled(if: missing.isEmpty, Comment(rawValue: missing.joined(separator: "; ")))
    }
}

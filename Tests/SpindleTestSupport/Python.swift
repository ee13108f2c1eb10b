import Foundation

/// The Python interpreter for the cross-checks against sentencepiece, transformers and MosaicML
/// streaming: `SPINDLE_PYTHON` when set (`.ci/run` exports the venv that `.ci/python-env` builds),
/// otherwise `python3` on PATH.
public enum Python {
    public static let executable: String = {
        if let p = ProcessInfo.processInfo.environment["SPINDLE_PYTHON"], !p.isEmpty { return p }
        return "python3"
    }()
    /// Whether the interpreter was chosen explicitly: then the peers are expected, and a missing one
    /// fails the cross-checks instead of skipping them.
    public static var isExplicit: Bool { executable != "python3" }

    /// Runs the interpreter with ARGS.
    @discardableResult
    public static func run(_ args: [String], stdin: Data? = nil) throws -> ProcessResult {
        try runProcess(executable, args, stdin: stdin)
    }

    /// Runs `python -c SCRIPT ARGS...`.
    @discardableResult
    public static func script(_ script: String, args: [String] = [], stdin: Data? = nil) throws -> ProcessResult {
        try run(["-c", script] + args, stdin: stdin)
    }

    /// Runs several scripts (each an argv whose first element is the script) in one interpreter, as
    /// `__main__` one after another: imports such as torch are paid once.
    @discardableResult
    public static func scripts(_ runs: [[String]]) throws -> ProcessResult {
        let list = runs.map { "[" + $0.map { "'\($0)'" }.joined(separator: ",") + "]" }.joined(separator: ",")
        return try script("import runpy, sys\nfor argv in [\(list)]:\n    sys.argv = argv\n    runpy.run_path(argv[0], run_name='__main__')")
    }

    /// The modules of `modules` that the interpreter cannot find (found without importing them).
    public static func missing(_ modules: [String]) -> [String] {
        let key = modules.joined(separator: ",")
        return cache.withLock { found in
            if let m = found[key] { return m }
            let probe = "import importlib.util as u, sys; print(' '.join(m for m in sys.argv[1:] if u.find_spec(m) is None))"
            let r = try? script(probe, args: modules)
            let m = r.map { $0.status == 0 ? $0.stdout.split(separator: " ").map { String($0).trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty } : modules } ?? modules
            found[key] = m
            return m
        }
    }
    private static let cache = LockedDictionary()
}

final class LockedDictionary: @unchecked Sendable {   // every access goes through `lock`
    private var value: [String: [String]] = [:]
    private let lock = NSLock()
    func withLock<R>(_ body: (inout [String: [String]]) -> R) -> R { lock.lock(); defer { lock.unlock() }; return body(&value) }
}

/// A Python run that exited non-zero.
public struct PythonError: Error, CustomStringConvertible {
    public let status: Int32
    public let stderr: String
    public var description: String { "\(Python.executable) exited \(status): \(stderr.suffix(2000))" }
}

extension Python {
    /// Standard output of `python -c SCRIPT ARGS...`; throws `PythonError` (with its stderr) when it fails.
    public static func output(_ script: String, args: [String] = [], stdin: Data? = nil) throws -> Data {
        let r = try Python.script(script, args: args, stdin: stdin)
        guard r.status == 0 else { throw PythonError(status: r.status, stderr: r.stderr) }
        return r.stdoutData
    }
}

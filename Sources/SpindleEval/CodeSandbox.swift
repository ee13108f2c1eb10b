// CodeSandbox.swift: runs a generated Python program (HumanEval/MBPP candidate + its tests) in a child
// process that can change nothing but its own empty temporary directory:
//   - `unshare -rmnpf --kill-child --mount-proc` (when the kernel allows unprivileged user namespaces):
//     a new network namespace (no interfaces up: no network), a new PID namespace (when its first
//     process dies the kernel kills every process in it), and a new mount namespace in which every
//     mount is remounted read-only except the temporary directory, bind-mounted on itself;
//   - rlimits set by the shell before exec: CPU seconds, address space, file size, open files;
//   - its own process group (Foundation's Process makes the child a group leader); on the wall-clock
//     timeout the whole group is killed with SIGKILL.
//   - a process-count cap: a fresh pids cgroup per run (`pids.max`, SandboxProcessLimit.swift) that the
//     sandbox shell joins before it execs the program, when a writable pids hierarchy exists;
// Without user namespaces only the rlimits, the process group and the timeout remain (the file system
// and the network are then NOT isolated); `isolation` says which, and the command prints it.
// RLIMIT_NPROC is not used: it does not bind root and counts all of the user's processes.
// The program runs under `driver`: exec'd as HF code_eval execs a candidate (pass = it returns).
import Foundation
import SpindleIO

public enum SandboxOutcome: Sendable, Equatable {
    case passed
    case failed(String)     // the last line of stderr (the exception), or the exit status
    case timedOut

    public var passed: Bool { self == .passed }
    /// The harness's (HF `code_eval`) result string.
    public var description: String {
        switch self {
        case .passed: return "passed"
        case .failed(let m): return "failed: " + m
        case .timedOut: return "timed out"
        }
    }
}

public struct SandboxLimits: Sendable {
    public var timeout: Double = 3            // wall-clock seconds (HF code_eval's default)
    public var memoryBytes = 1 << 31          // RLIMIT_AS
    public var fileBytes = 16 << 20           // RLIMIT_FSIZE
    public var openFiles = 64                 // RLIMIT_NOFILE
    public var processes = 32                 // pids.max of the run's cgroup (tasks: processes and threads)
    public init() {}
}

public final class CodeSandbox: @unchecked Sendable {
    public enum Isolation: String, Sendable { case namespaces, rlimitsOnly = "rlimits-only" }
    public let python: String
    public let limits: SandboxLimits
    public let isolation: Isolation
    /// Where each run's pids cgroup is made (nil: no writable pids hierarchy, no process-count bound).
    public let pids: PidsCgroup?

    public init(python: String = "python3", limits: SandboxLimits = SandboxLimits()) {
        self.python = python; self.limits = limits
        let probe = Self.exec(["unshare", "-rmnpf", "--kill-child", "--mount-proc", "true"], timeout: 10)
        isolation = probe == 0 ? .namespaces : .rlimitsOnly
        pids = PidsCgroup.find()
    }

    /// The shell run inside the sandbox: `$1` the directory; then the command.
    static let script = """
        set -e
        T=$(cd "$1" && pwd -P); shift
        if [ -n "$SPINDLE_PIDS_CGROUP" ]; then echo $$ > "$SPINDLE_PIDS_CGROUP/cgroup.procs"; fi
        if [ "$SPINDLE_SANDBOX_NS" = 1 ]; then
          mount --bind "$T" "$T"
          awk '{print $2}' /proc/self/mounts | while read -r m; do
            [ "$m" = "$T" ] || mount -o remount,ro,bind "$m" 2>/dev/null || true
          done
        fi
        cd "$T"
        ulimit -t "$SPINDLE_CPU"; ulimit -v "$SPINDLE_AS_KB"; ulimit -f "$SPINDLE_FSIZE_BLOCKS"; ulimit -n "$SPINDLE_NOFILE"
        exec "$@" > out.txt 2> err.txt
        """

    /// What the interpreter runs: program.py as HF `code_eval` (`execute.py`) runs a candidate, with
    /// `exec(program, {})`: fresh globals, so `__name__` is "builtins" and an `if __name__ ==
    /// "__main__":` block does not run; any exception, SystemExit included (`sys.exit(0)` or `exit()`
    /// before the tests), fails; the run passes as soon as the program returns (threads it left are not
    /// waited for). The rest of code_eval's `reliability_guard` (os/shutil/subprocess functions set to
    /// None) is not reproduced: here the namespaces and limits contain the program instead.
    static let driver = """
        import os, sys, traceback
        src = open("program.py", encoding="utf-8").read()
        try:
            exec(compile(src, "program.py", "exec"), {})
        except BaseException:
            traceback.print_exc()
            sys.stdout.flush(); sys.stderr.flush()
            os._exit(1)
        sys.stdout.flush(); sys.stderr.flush()
        os._exit(0)
        """

    /// Runs `program` (Python source) in a fresh temporary directory; removes the directory after.
    public func run(_ program: String) throws -> SandboxOutcome {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("spindle-sandbox-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data(program.utf8).write(to: dir.appendingPathComponent("program.py"))
        var argv = ["sh", "-c", Self.script, "sandbox", dir.path, python, "-I", "-B", "-c", Self.driver]
        if isolation == .namespaces { argv = ["unshare", "-rmnpf", "--kill-child", "--mount-proc"] + argv }
        var env = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": dir.path,
                   "SPINDLE_SANDBOX_NS": isolation == .namespaces ? "1" : "0",
                   "SPINDLE_CPU": "\(Int(limits.timeout.rounded(.up)) + 1)", "SPINDLE_AS_KB": "\(limits.memoryBytes / 1024)",
                   "SPINDLE_FSIZE_BLOCKS": "\(limits.fileBytes / 512)", "SPINDLE_NOFILE": "\(limits.openFiles)"]
        let cgroup = try pids?.make(maxProcesses: limits.processes)
        defer { if let cgroup { pids?.remove(cgroup) } }
        env["SPINDLE_PIDS_CGROUP"] = cgroup ?? ""
        guard let status = Self.exec(argv, env: env, timeout: limits.timeout) else { return .timedOut }
        if status == 0 { return .passed }
        let err = (try? String(contentsOf: dir.appendingPathComponent("err.txt"), encoding: .utf8)) ?? ""
        let last = err.split(separator: "\n").last.map(String.init) ?? "exit status \(status)"
        return .failed(last)
    }

    /// Runs `argv` (found on PATH) with stdin/stdout/stderr on /dev/null; nil when it outlived `timeout`
    /// seconds, after its process group was killed.
    static func exec(_ argv: [String], env: [String: String]? = nil, timeout: Double) -> Int32? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = argv
        if let env { p.environment = env }
        p.standardInput = FileHandle.nullDevice; p.standardOutput = FileHandle.nullDevice; p.standardError = FileHandle.nullDevice
        let done = DispatchSemaphore(value: 0)
        p.terminationHandler = { _ in done.signal() }
        do { try p.run() } catch { return 127 }
        if done.wait(timeout: .now() + timeout) == .timedOut {
            kill(-p.processIdentifier, SIGKILL)   // the child leads its process group
            kill(p.processIdentifier, SIGKILL)
            done.wait()
            return nil
        }
        kill(-p.processIdentifier, SIGKILL)   // what the program left running in its group
        return p.terminationStatus
    }
}

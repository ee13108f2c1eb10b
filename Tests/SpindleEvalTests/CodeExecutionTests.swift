// HumanEval/MBPP scoring: the sandbox (passes, failures, timeouts, and escapes that must change
// nothing outside its temporary directory), pass@k's estimator, the task templates, and HumanEval's
// real canonical solutions passing their tests through the same path a generation takes.
import Foundation
import Testing
import SpindleIO
@testable import SpindleEval
import SpindleTestSupport

@Suite(.requires(.python()), .serialized)   // serial: the fork-bomb test counts the sandbox cgroups
struct CodeExecutionTests {
    let sandbox = CodeSandbox(python: Python.executable)

    @Test func passingFailingAndTimedOutPrograms() throws {
        #expect(try sandbox.run("def add(a, b):\n    return a + b\nassert add(2, 3) == 5\n") == .passed)
        let failed = try sandbox.run("def add(a, b):\n    return a * b\nassert add(2, 3) == 5\n")
        #expect(failed == .failed("AssertionError"))
        #expect(try sandbox.run("def f(:\n") != .passed)   // a syntax error fails
        let start = Date()
        var limits = SandboxLimits(); limits.timeout = 1
        #expect(try CodeSandbox(python: Python.executable, limits: limits).run("while True:\n    pass\n") == .timedOut)
        #expect(Date().timeIntervalSince(start) < 10)
    }

    /// A program that writes outside its directory, opens a socket or leaves a process behind fails,
    /// and nothing outside the temporary directory changes.
    @Test func escapesFailAndChangeNothing() throws {
        try #require(sandbox.isolation == .namespaces, "unprivileged user namespaces are unavailable here: only rlimits isolate the program")
        let dir = TempDir("sandbox-escape")
        let canary = dir.path + "/canary.txt"
        try "untouched".write(toFile: canary, atomically: true, encoding: .utf8)
        let write = try sandbox.run("open(\(canary.debugDescription), 'w').write('changed')\n")
        #expect(!write.passed)
        let create = try sandbox.run("open(\(String(dir.path + "/new.txt").debugDescription), 'w')\n")
        #expect(!create.passed)
        let remove = try sandbox.run("import os\nos.remove(\(canary.debugDescription))\n")
        #expect(!remove.passed)
        #expect(try String(contentsOfFile: canary, encoding: .utf8) == "untouched")
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/new.txt"))
        let net = try sandbox.run("import socket\nsocket.create_connection(('1.1.1.1', 53), timeout=1)\n")
        #expect(!net.passed, "network: \(net)")
        // A child left running after the timeout dies with the sandbox's PID namespace.
        var limits = SandboxLimits(); limits.timeout = 1
        let marker = "spindle-sandbox-orphan-\(UUID().uuidString.prefix(8))"
        _ = try CodeSandbox(python: Python.executable, limits: limits)
            .run("import subprocess\nsubprocess.Popen(['sh', '-c', 'exec -a \(marker) sleep 30'])\nwhile True:\n    pass\n")
        Thread.sleep(forTimeInterval: 0.5)
        let ps = try runProcess("/bin/sh", ["-c", "ps -eo args | grep -c '^\(marker)' || true"])
        #expect(ps.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "0", "a child outlived the sandbox")
        // The program's own directory is writable, and is gone afterwards.
        #expect(try sandbox.run("open('scratch.txt', 'w').write('ok')\nassert open('scratch.txt').read() == 'ok'\n") == .passed)
    }

    /// A fork bomb stops at the run's pids cap (root included, where RLIMIT_NPROC would not bind): the
    /// program forks sleeping children until fork fails, and passes only if that happens below the cap
    /// + a margin; its loop stops at 200 so a broken cap cannot flood the machine. The cgroup is gone after.
    @Test func forkBombIsContained() throws {
        try #require(sandbox.pids != nil, "no writable pids cgroup here: the sandbox has no process-count bound")
        var limits = SandboxLimits(); limits.processes = 16; limits.timeout = 10
        let bomb = """
            import os, sys, time
            n = 0
            try:
                while n < 200:
                    if os.fork() == 0:
                        time.sleep(30)
                        os._exit(0)
                    n += 1
            except OSError as e:
                print("fork failed after", n, e, file=sys.stderr)
                assert n < 16, n
            else:
                raise AssertionError("fork never failed")
            """
        let before = try FileManager.default.contentsOfDirectory(atPath: sandbox.pids!.parent).filter { $0.hasPrefix("spindle-sandbox-") }
        let start = Date()
        #expect(try CodeSandbox(python: Python.executable, limits: limits).run(bomb) == .passed)
        #expect(Date().timeIntervalSince(start) < 8, "the bomb was stopped by the timeout, not the cap")
        // Other suites' sandbox runs (EvalCodeCrossCheckTests) may have a cgroup of their own at this
        // moment: a leftover counts only if it is still there once any such run has ended (≤ 10 s).
        var left = Set<String>()
        for _ in 0..<50 {
            let after = try FileManager.default.contentsOfDirectory(atPath: sandbox.pids!.parent).filter { $0.hasPrefix("spindle-sandbox-") }
            left = Set(after).subtracting(before)
            if left.isEmpty { break }
            Thread.sleep(forTimeInterval: 0.2)
        }
        #expect(left.isEmpty, "the run's cgroup was left behind: \(left)")
    }

    @Test func passAtKIsTheUnbiasedEstimator() {
        func binomial(_ n: Int, _ k: Int) -> Double {
            k < 0 || k > n ? 0 : (0..<k).reduce(1.0) { $0 * Double(n - $1) / Double($1 + 1) }
        }
        for n in 1...12 { for c in 0...n { for k in 1...n {
            let direct = 1 - binomial(n - c, k) / binomial(n, k)
            #expect(abs(passAtK(n: n, c: c, k: k) - direct) < 1e-12, "n \(n) c \(c) k \(k)")
        } } }
        #expect(passAtK(n: 1, c: 1, k: 1) == 1 && passAtK(n: 1, c: 0, k: 1) == 0)
    }

    @Test func mbppTemplateAndExemplars() throws {
        let t = GenerationTask.named("mbpp")!
        let row: JSONValue = .object([("task_id", .int(11)), ("text", .string("Write a function to add two numbers.")),
            ("code", .string("def add(a, b):\r\n  return a + b")),
            ("test_list", .array(["assert add(1, 2) == 3", "assert add(0, 0) == 0", "assert add(-1, 1) == 0"].map { .string($0) }))])
        let d = try t.render(row)
        #expect(d.text == "You are an expert Python programmer, and here is your task: Write a function to add two numbers. Your code should pass these tests:\n\nassert add(1, 2) == 3\nassert add(0, 0) == 0\nassert add(-1, 1) == 0\n[BEGIN]\n")
        let ex = try t.fixedExemplars!.map { try t.render($0) }
        let ctx = GenerationEvaluator.context(t, d, shots: ex)
        #expect(ctx.hasPrefix("You are an expert Python programmer, and here is your task: Write a function to find the similar elements"))
        #expect(ctx.contains("  return (res) \n[DONE]\n\nYou are an expert"))
        #expect(ctx.hasSuffix(d.text))
        #expect(try sandbox.run("def add(a, b):\r\n  return a + b" + "\n" + d.tests!) == .passed)
        #expect(try sandbox.run("def add(a, b):\n  return a - b" + "\n" + d.tests!) != .passed)
    }

    /// The first 12 real HumanEval problems: the canonical solution, put where a generation goes
    /// (prompt + response, then the tests and check(entry_point)), passes; a wrong body fails.
    @Test(.requires(.sharedData("pretrain/code/HumanEval.jsonl.gz"))) func humanEvalCanonicalSolutionsPass() throws {
        let t = GenerationTask.named("humaneval")!
        let rows = try EvalRows.read(SharedData.path("pretrain/code/HumanEval.jsonl.gz")).prefix(12)
        for r in rows {
            let d = try t.render(r.value)
            let canonical = r.value["canonical_solution"]!.stringValue!
            #expect(try sandbox.run(d.codePrefix + canonical + "\n" + d.tests!) == .passed, "\(r.value["task_id"]!.stringValue!)")
            #expect(try sandbox.run(d.codePrefix + "    return None\n" + "\n" + d.tests!) != .passed)
        }
    }
}

import Foundation

/// What a finished process left: its exit status and both output streams.
public struct ProcessResult: Sendable {
    public var status: Int32
    public var stdoutData: Data
    public var stderrData: Data
    public var stdout: String { String(decoding: stdoutData, as: UTF8.self) }
    public var stderr: String { String(decoding: stderrData, as: UTF8.self) }
    /// Standard output then standard error, for failure messages.
    public var output: String { stdout + stderr }
}

/// Runs `executable ARGS` to completion. A bare name (no `/`) is looked up on PATH. `stdin` is fed
/// from another thread and standard error is drained from another thread, so neither pipe can fill
/// and block the child.
@discardableResult
public func runProcess(_ executable: String, _ args: [String], stdin: Data? = nil,
                       environment: [String: String]? = nil) throws -> ProcessResult {
    let p = Process()
    if executable.contains("/") {
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = args
    } else {
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [executable] + args
    }
    if let environment { p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
    let out = Pipe(), err = Pipe(), inp = Pipe()
    p.standardOutput = out
    p.standardError = err
    p.standardInput = inp
    try p.run()
    let feeder = Thread {
        if let stdin { inp.fileHandleForWriting.write(stdin) }
        try? inp.fileHandleForWriting.close()
    }
    feeder.start()
    let errData = Locked(Data())
    let done = DispatchSemaphore(value: 0)
    Thread { errData.set(err.fileHandleForReading.readDataToEndOfFile()); done.signal() }.start()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    done.wait()
    p.waitUntilExit()
    return ProcessResult(status: p.terminationStatus, stdoutData: outData, stderrData: errData.get())
}

/// Runs `/bin/sh -c COMMAND`.
@discardableResult
public func shell(_ command: String) throws -> ProcessResult { try runProcess("/bin/sh", ["-c", command]) }

/// Whether `name` is an executable on PATH.
public func toolExists(_ name: String) -> Bool {
    (try? shell("command -v '\(name)' >/dev/null 2>&1").status) == 0
}

/// A value handed between threads under a lock.
final class Locked<T>: @unchecked Sendable {   // every access goes through `lock`
    private var value: T
    private let lock = NSLock()
    init(_ v: T) { value = v }
    func set(_ v: T) { lock.lock(); value = v; lock.unlock() }
    func get() -> T { lock.lock(); defer { lock.unlock() }; return value }
}

import Foundation
@testable import SpindleShards

/// A fresh temporary directory, removed when the test that made it calls `cleanup`.
struct TempDir {
    let path: String
    init(_ tag: String = "shards") {
        path = NSTemporaryDirectory() + "spindle-\(tag)-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    func sub(_ name: String) -> String { path + "/" + name }
    func cleanup() { try? FileManager.default.removeItem(atPath: path) }
}

enum Paths {
    /// The package root, derived from this file's location.
    static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()
    /// `<package>/../shared/data`, present on developer machines and CI, absent elsewhere.
    static let sharedData = packageRoot + "/../shared/data"
    static var hasSharedData: Bool { FileManager.default.fileExists(atPath: sharedData + "/README.md") }
    static let venvPython = packageRoot + "/.venv-mds/bin/python"
    static var hasJSONSchema: Bool {
        (try? run("/usr/bin/env", ["python3", "-c", "import jsonschema"]).status) == 0
    }
    static var hasStreamingVenv: Bool {
        FileManager.default.isExecutableFile(atPath: venvPython)
            && FileManager.default.fileExists(atPath: packageRoot + "/bench/shards_mds.py")
    }
}

func readBytes(_ path: String) -> [UInt8] { Array(FileManager.default.contents(atPath: path) ?? Data()) }
func writeBytes(_ bytes: [UInt8], _ path: String) { _ = FileManager.default.createFile(atPath: path, contents: Data(bytes)) }

/// Runs a program, returning its exit status and standard output.
@discardableResult
func run(_ exe: String, _ args: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: exe)
    p.arguments = args
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
}

/// A tiny deterministic SplitMix64 for test inputs.
struct TestRNG {
    var state: UInt64
    init(_ seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E3779B97F4A7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
        return z ^ (z >> 31)
    }
    mutating func int(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}

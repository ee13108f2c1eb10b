// Runs one ParityCase four ways and compares what each run leaves: stdout, and every file it writes
// (manifests aside: they list file inputs with their hashes, and stdin has none), with timing fields
// masked and the input's spelling normalized.
import Foundation
import Testing
import SpindleTestSupport

struct ParityRunner {
    let fixtures: StdinFixtures
    let `case`: ParityCase

    /// What one run left behind.
    struct Result: Equatable {
        var stdout: String
        var files: [String: String]
    }

    enum Mode: String, CaseIterable { case file, fileZst = "file.zst", stdin, stdinZst = "stdin.zst" }

    func check() throws {
        let reference = try run(.file)
        #expect(!reference.stdout.isEmpty || reference.files.values.contains { !$0.isEmpty },
                "\(self.case): the file run wrote nothing, so the comparison would prove nothing")
        for mode in [Mode.fileZst, .stdin, .stdinZst] {
            let other = try run(mode)
            #expect(other.stdout == reference.stdout, "\(self.case) \(mode.rawValue): stdout differs from the file run: \(firstDifference(other.stdout, reference.stdout))")
            #expect(other.files.keys.sorted() == reference.files.keys.sorted(), "\(self.case) \(mode.rawValue): files \(other.files.keys.sorted()) != \(reference.files.keys.sorted())")
            for (name, text) in reference.files where other.files[name] != text {
                Issue.record("\(self.case) \(mode.rawValue): \(name) differs: \(firstDifference(other.files[name] ?? "", text))")
            }
        }
    }

    func run(_ mode: Mode) throws -> Result {
        let out = TempDir("parity-run")
        defer { out.cleanup() }
        let zst = mode == .fileZst || mode == .stdinZst
        let fromStdin = mode == .stdin || mode == .stdinZst
        let inputPath = fixtures.at(self.case.input + (zst ? ".zst" : ""))
        var args: [String] = []
        for a in self.case.args {
            if a == "IN" {
                if !fromStdin { args.append(inputPath) } else if self.case.dashForStdin { args.append("-") }
                continue
            }
            if a == "RM" {
                args.append(fixtures.at(fromStdin ? "removals-stdin.tsv" : "removals-\(self.case.input)\(zst ? ".zst" : "").tsv"))
                continue
            }
            args.append(a.replacingOccurrences(of: "FIX/", with: fixtures.path + "/").replacingOccurrences(of: "OUT", with: out.path))
        }
        let stdin = fromStdin ? try Data(contentsOf: URL(fileURLWithPath: inputPath)) : Data()
        let r = try runProcess(SpindleBinary.path, self.case.command.split(separator: " ").map(String.init) + args, stdin: stdin)
        try #require(r.status == 0, "\(self.case) \(mode.rawValue) exited \(r.status): \(r.stderr.suffix(600))")
        func normalize(_ text: String) -> String {
            var t = Self.maskTiming(text.replacingOccurrences(of: out.path, with: "<OUT>"))
            if fromStdin {
                for (from, to) in self.case.stdinSpellings { t = t.replacingOccurrences(of: from, with: to) }
            } else {
                t = t.replacingOccurrences(of: inputPath, with: "<IN>")
            }
            return t
        }
        var files: [String: String] = [:]
        let walker = FileManager.default.enumerator(atPath: out.path)
        while let name = walker?.nextObject() as? String {
            var isDir: ObjCBool = false
            FileManager.default.fileExists(atPath: out.sub(name), isDirectory: &isDir)
            if isDir.boolValue || name.hasSuffix("manifest.json") || self.case.unread.contains(name) { continue }
            let data = try Data(contentsOf: URL(fileURLWithPath: out.sub(name)))
            let text = String(data: data, encoding: .utf8)
            files[name] = text.map(normalize) ?? "binary " + data.base64EncodedString()
        }
        return Result(stdout: normalize(r.stdout), files: files)
    }

    /// Run times, rates and memory vary between runs; everything else must not.
    static func maskTiming(_ text: String) -> String {
        let pattern = #""([a-z_]*seconds|[a-z_]*_per_s|peak_rss_bytes|[a-z_]*_ms|created)": ?("[^"]*"|[-0-9.e+]+)"#
        guard let re = try? NSRegularExpression(pattern: pattern) else { return text }
        return re.stringByReplacingMatches(in: text, range: NSRange(text.startIndex..., in: text), withTemplate: "\"$1\": X")
    }

    func firstDifference(_ a: String, _ b: String) -> String {
        let la = a.split(separator: "\n", omittingEmptySubsequences: false), lb = b.split(separator: "\n", omittingEmptySubsequences: false)
        for i in 0..<max(la.count, lb.count) {
            let x = i < la.count ? String(la[i]) : "<none>", y = i < lb.count ? String(lb[i]) : "<none>"
            if x != y { return "line \(i + 1): got \(x.prefix(200)) expected \(y.prefix(200))" }
        }
        return "(same lines)"
    }
}

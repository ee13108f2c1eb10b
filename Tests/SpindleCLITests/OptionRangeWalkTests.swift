import Foundation
import Testing
import SpindleTestSupport

/// Every option that takes a value, on every subcommand, given NaN, -1, 0 and a huge number: the
/// answer is a documented exit code (64 for a value out of range, or the command's normal outcome on
/// the walk's missing inputs), never a signal, a crash or a hang (issue 12 item 6).
@Suite(.requires(.spindleBinary), .requires(.tool("timeout"))) struct OptionRangeWalkTests {
    static let values = ["nan", "-1", "0", "1099511627776"]

    /// `--name <placeholder>` options of a help text (flags without a value are left out).
    static func valueOptions(_ help: String) -> [String] {
        var names: [String] = []
        for line in help.split(separator: "\n") {
            let t = line.drop(while: { $0 == " " })
            guard t.hasPrefix("--") || t.hasPrefix("-") else { continue }
            // "-o, --output <output>" or "--threads <threads>": the long name followed by <...>.
            let words = t.split(separator: " ")
            for (i, w) in words.enumerated() where w.hasPrefix("--") && i + 1 < words.count && words[i + 1].hasPrefix("<") {
                let name = String(w.hasSuffix(",") ? w.dropLast() : w)
                if !["--help", "--print-config"].contains(name) { names.append(name) }
            }
        }
        return Array(Set(names)).sorted()
    }

    @Test func numericExtremesNeverCrashOrHang() throws {
        let tmp = TempDir("option-walk"); defer { tmp.cleanup() }
        var tried = 0
        for leaf in try CLIWalkTests.leaves() {
            let key = leaf.joined(separator: " ")
            guard let base = CLIWalkTests.runs[key]?.map({ $0.replacingOccurrences(of: "OUT", with: tmp.path) }) else { continue }
            for option in Self.valueOptions(try CLI.run(leaf + ["--help"]).stdout) {
                for v in Self.values {
                    // `--opt=-1` so the parser does not read "-1" as a flag; the later value wins over `base`.
                    let args = leaf + base + ["\(option)=\(v)"]
                    let r = try runProcess("/usr/bin/timeout", ["-k", "2", "20", CLI.binary] + args, stdin: Data())
                    tried += 1
                    #expect([0, 64, 65, 66, 74].contains(r.status),
                            "spindle \(args.joined(separator: " ")) exited \(r.status): \(r.stderr.suffix(300))")
                }
            }
        }
        #expect(tried > 200)
    }
}

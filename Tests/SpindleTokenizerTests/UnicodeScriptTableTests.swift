import Foundation
import Testing
@testable import SpindleTokenizer
import SpindleTestSupport

/// UnicodeScript.swift is generated; its generator must still reproduce it byte for byte.
@Suite struct UnicodeScriptTableTests {
    static let scPl = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/share/perl"))?.sorted()
        .map { "/usr/share/perl/\($0)/unicore/To/Sc.pl" }.first { FileManager.default.fileExists(atPath: $0) }
    /// The generator's input is perl's table of the Unicode version the committed file was made from.
    static var sameUnicode: Requirement {
        let header = scPl.flatMap { try? String(contentsOfFile: $0, encoding: .utf8) }?.prefix(400) ?? ""
        return Requirement(header.contains("Version 14.0"), "no perl unicore/To/Sc.pl of Unicode 14.0 (Debian's perl-modules)")
    }

    @Test(.requires(.tool("python3"), sameUnicode))
    func generatorReproducesTheCommittedTable() throws {
        let r = try runProcess("python3", [TestPaths.package("tools/gen_unicode_script.py"), Self.scPl!])
        #expect(r.status == 0, "\(r.stderr)")
        let committed = try Data(contentsOf: URL(fileURLWithPath: TestPaths.package("Sources/SpindleTokenizer/UnicodeScript.swift")))
        #expect(r.stdoutData == committed, "regenerate: python3 tools/gen_unicode_script.py > Sources/SpindleTokenizer/UnicodeScript.swift")
    }

    @Test func knownScripts() {
        let name = { (c: Unicode.Scalar) in UnicodeScript.names[Int(UnicodeScript.of(c.value))] }
        #expect(name("a") == "Latin" && name("1") == "Common" && name("中") == "Han" && name("Ж") == "Cyrillic")
        #expect(name("\u{0301}") == "Inherited" && name("あ") == "Hiragana" && name("カ") == "Katakana")
        #expect(UnicodeScript.of(0x378) == UnicodeScript.unknown)   // unassigned
    }
}

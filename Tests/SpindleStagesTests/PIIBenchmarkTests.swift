import Foundation
import Testing
import SpindleIO
@testable import SpindleStages
import SpindleTestSupport

/// The labelled benchmark of bench/pii_quality.py (formats of issue 13 inserted into real multilingual
/// text from ../shared/data, with and without context, plus look-alike decoys and plain host passages),
/// generated under a seed the benchmark itself does not use, scanned here and scored the same way: a
/// detection counts only with the right type and exactly the gold span.
@Suite struct PIIBenchmarkTests {
    static let types = ["EMAIL": PIIType.email, "PHONE": .phone, "IPV4": .ipv4, "IPV6": .ipv6, "CREDIT_CARD": .creditCard,
                        "US_SSN": .ssn, "IBAN": .iban, "API_KEY": .secret]

    @Test(.requires(.sharedData("pretrain/en/wikitext-2/valid.txt"), .sharedData("html/trafilatura/pages"), .python()))
    func typedPrecisionRecallAndDecoys() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let gold = dir.path + "/gold.jsonl"
        let r = try Python.run([TestPaths.package("bench/pii_quality.py"), "generate", SharedData.path(""), gold,
                                "--seed", "4242", "--per-type", "500", "--decoys", "2600", "--hosts", "500"])
        #expect(r.status == 0, "\(r.stderr)")
        var tp: [PIIType: Int] = [:], fp: [PIIType: Int] = [:], n: [PIIType: Int] = [:]
        var decoyHits: [String] = [], misses: [String: Int] = [:]
        let scanner = PIIScanner()
        let lines = String(decoding: try InputFile.readAll(path: gold), as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 8 * 500 + 2600 + 500)
        for line in lines {
            guard case .object(let o)? = try? JSONValue.parse(Array(line.utf8)) else { Issue.record("bad line"); continue }
            let rec = Dictionary(o, uniquingKeysWith: { a, _ in a })
            guard case .string(let text)? = rec["text"], case .string(let kind)? = rec["kind"], case .string(let type)? = rec["type"],
                  case .string(let sub)? = rec["subtype"] else { Issue.record("fields"); continue }
            let found = scanner.scan(text)
            if kind != "positive" {
                for s in found { fp[s.type, default: 0] += 1 }
                if kind == "decoy" && !found.isEmpty { decoyHits.append("\(sub): \(found.map(\.type.rawValue)) in \(text.prefix(120))") }
                continue
            }
            guard let want = Self.types[type], case .array(let g)? = rec["gold"], case .array(let span)? = g.first,
                  case .number(let s)? = span.first, case .number(let e)? = span.last,
                  let start = Int(s), let end = Int(e) else { Issue.record("gold"); continue }
            n[want, default: 0] += 1
            var hit = false
            for x in found {
                if x.type == want && x.start == start && x.end == end { hit = true; tp[want, default: 0] += 1 } else { fp[x.type, default: 0] += 1 }
            }
            if !hit { misses[type + "/" + sub, default: 0] += 1 }
        }
        for (name, t) in Self.types.sorted(by: { $0.key < $1.key }) {
            let p = Double(tp[t] ?? 0) / Double(max(1, (tp[t] ?? 0) + (fp[t] ?? 0)))
            let rc = Double(tp[t] ?? 0) / Double(max(1, n[t] ?? 0))
            print("pii benchmark \(name): precision \(fixed(p, 4)) recall \(fixed(rc, 4)) (\(tp[t] ?? 0)/\(n[t] ?? 0))")
            #expect(p >= 0.97 && rc >= 0.97, "\(name): precision \(p), recall \(rc)")
        }
        print("pii benchmark misses by subtype: \(misses.sorted { $0.key < $1.key })")
        #expect(decoyHits.isEmpty, "decoys redacted: \(decoyHits.prefix(8))")
    }
}

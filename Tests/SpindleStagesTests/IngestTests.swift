import Foundation
import Testing
import SpindleIO
@testable import SpindleStages
import SpindleTestSupport

@Suite struct IngestTests {
    func ingestWiki(_ path: String) throws -> ([Document], WikiXMLIngest.Stats) {
        var docs: [Document] = []
        let stats = try WikiXMLIngest().run(path: path) { docs.append($0) }
        return (docs, stats)
    }

    @Test(.requires(.sharedData("wiki/enwiki-pages-articles-shortened.xml.gz"))) func realWikipediaSample() throws {
        let (docs, stats) = try ingestWiki(SharedData.path("wiki/enwiki-pages-articles-shortened.xml.gz"))
        #expect(stats.pages == 206)
        #expect(stats.redirects == 100)
        #expect(docs.count == 106)
        let anarchism = try #require(docs.first { $0.id == "wiki:12" })
        #expect(anarchism.text.hasPrefix("Anarchism is a political philosophy"))
        for d in docs {
            #expect(!d.text.contains("{{") && !d.text.contains("[[") && !d.text.contains("<ref"), "\(d.id)")
        }
    }

    @Test func wikiXMLFromStdinShapes() throws {
        let tmp = TempDir("stages"); defer { tmp.cleanup() }
        let dir = tmp.path
        let xml = """
        <mediawiki><page><title>A</title><ns>0</ns><id>7</id><revision><id>99</id><text xml:space="preserve">'''A''' is [[b|B]].</text></revision></page>
        <page><title>R</title><ns>0</ns><id>8</id><redirect title="A"/><revision><id>100</id><text>#REDIRECT [[A]]</text></revision></page>
        <page><title>Template:T</title><ns>10</ns><id>9</id><revision><id>101</id><text>x</text></revision></page></mediawiki>
        """
        try xml.write(toFile: dir + "/w.xml", atomically: true, encoding: .utf8)
        let (docs, stats) = try ingestWiki(dir + "/w.xml")
        #expect(docs.map(\.id) == ["wiki:7"])
        #expect(docs.first?.text == "A is B.")
        #expect(stats.redirects == 1 && stats.otherNamespaces == 1)
    }

    @Test func unterminatedXMLIsAnErrorWithALine() throws {
        let tmp = TempDir("stages"); defer { tmp.cleanup() }
        let dir = tmp.path
        try "<mediawiki><page><title>A</title><ns>0</ns><id>1</id><revision><text>body".write(
            toFile: dir + "/cut.xml", atomically: true, encoding: .utf8)
        #expect {
            _ = try ingestWiki(dir + "/cut.xml")
        } throws: { error in
            guard let e = error as? InputError else { return false }
            return e.file.hasSuffix("cut.xml") && (e.kind == .format || e.kind == .truncated)
        }
        try "<mediawiki><page><title>A</tit></page>".write(toFile: dir + "/bad.xml", atomically: true, encoding: .utf8)
        #expect(throws: InputError.self) { _ = try ingestWiki(dir + "/bad.xml") }
    }

    @Test func htmlKeepsMainTextAndDropsBoilerplate() throws {
        let html = """
        <html><head><title>T</title><script>var x = "script text";</script><style>p{}</style></head>
        <body><nav><a href="/">Home</a> <a href="/a">About us here now</a></nav>
        <header>Site header words here</header>
        <div class="cookie-banner">We use cookies to improve your experience</div>
        <article><h1>The Heading</h1><p>First paragraph of the story, long enough to keep.</p>
        <ul><li>An item with several words in it</li></ul><p>Second paragraph <b>with bold</b> text.</p></article>
        <aside>Related stories you may like</aside><footer>Copyright footer text here</footer></body></html>
        """
        let page = try HTMLExtractor().extract(Array(html.utf8), name: "t.html")
        #expect(page.title == "T")
        #expect(page.text == "The Heading\n\nFirst paragraph of the story, long enough to keep.\n\nAn item with several words in it\n\nSecond paragraph with bold text.")
    }

    @Test func htmlSoupDoesNotCrash() throws {
        for soup in ["<p>unclosed <b>bold <i>both</p></div></span>", "<<<>>>", "", "<html><body><p>ü \u{0}</p>", "<table><tr><td>x"] {
            _ = try HTMLExtractor().extract(Array(soup.utf8), name: "soup")
        }
    }

    /// Main-text extraction scored on trafilatura's gold snippets (pages in ../shared/data/html).
    @Test(.requires(.sharedData("html/trafilatura/evaldata_subset.json"))) func htmlExtractionOnRealPages() throws {
        let gold = try JSONValue.parse(try InputFile.readAll(path: SharedData.path("html/trafilatura/evaldata_subset.json")))
        guard case .object(let pages) = gold else { Issue.record("bad gold file"); return }
        var withFound = 0, withTotal = 0, withoutAbsent = 0, withoutTotal = 0
        for (_, entry) in pages {
            guard let file = entry["file"]?.stringValue else { continue }
            let bytes = try InputFile.readAll(path: SharedData.path("html/trafilatura/pages/" + file))
            let text = try HTMLExtractor().extract(bytes, name: file).text
            let flat = HTMLExtractor.collapse(text)
            for s in entry["with"]?.arrayValue ?? [] { withTotal += 1; if flat.contains(HTMLExtractor.collapse(s.stringValue ?? "")) { withFound += 1 } }
            for s in entry["without"]?.arrayValue ?? [] { withoutTotal += 1; if !flat.contains(HTMLExtractor.collapse(s.stringValue ?? "")) { withoutAbsent += 1 } }
        }
        let recall = Double(withFound) / Double(withTotal), rejection = Double(withoutAbsent) / Double(withoutTotal)
        print("html extraction: main-text snippets kept \(withFound)/\(withTotal) (\(recall)), boilerplate dropped \(withoutAbsent)/\(withoutTotal) (\(rejection))")
        #expect(recall > 0.75)
        #expect(rejection > 0.7)
    }

    @Test func textBlocksGetStableIds() throws {
        let tmp = TempDir("stages"); defer { tmp.cleanup() }
        let dir = tmp.path
        try "Title\n\nPara one\nstill one\n\n\nPara two\n".write(toFile: dir + "/a.txt", atomically: true, encoding: .utf8)
        var docs: [Document] = []
        try TextIngest(source: "enc", blocks: true).run(path: dir + "/a.txt") { docs.append($0) }
        #expect(docs.map(\.text) == ["Title", "Para one\nstill one", "Para two"])
        #expect(docs.map(\.id) == ["enc:\(dir)/a.txt#1", "enc:\(dir)/a.txt#2", "enc:\(dir)/a.txt#3"])
        try Data([0x61, 0xFF, 0x0A]).write(to: URL(fileURLWithPath: dir + "/bad.txt"))
        #expect {
            try TextIngest(source: "enc", blocks: false).run(path: dir + "/bad.txt") { _ in }
        } throws: { error in
            (error as? InputError).map { $0.kind == .invalidUTF8 && $0.line == 1 } ?? false
        }
    }
}

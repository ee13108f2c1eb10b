import Testing
@testable import SpindleStages

@Suite struct WikitextCleanerTests {
    @Test(arguments: [
        ("'''Anarchism''' is a [[political philosophy]].", "Anarchism is a political philosophy."),
        ("A [[Dog|hound]]s life.", "A hounds life."),
        ("Text{{cite web|url=http://x|title={{nested}}}} more", "Text more"),
        ("Fact.<ref name=\"a\">{{cite book|title=B}}</ref> Next.<ref name=\"a\"/>", "Fact. Next."),
        ("== History ==\nBody", "History\nBody"),
        ("* one\n* two\n# three", "one\ntwo\nthree"),
        ("[[File:X.jpg|thumb|A [[cat]] sits]]Cats purr.", "Cats purr."),
        ("See [http://example.org the site] or [http://bare.example].", "See the site or."),
        ("before\n{| class=\"wikitable\"\n|-\n| cell || cell\n|}\nafter", "before\n\nafter"),
        ("x<!-- hidden -->y", "xy"),
        ("a&nbsp;b &amp; c &#8212; d", "a b & c — d"),
        ("__NOTOC__Body [[Category:Things]][[de:Ding]]", "Body"),
        ("E = mc<sup>2</sup> and <math>x^2</math>.", "E = mc2 and."),
        ("para one\n\n\n\npara two", "para one\n\npara two"),
    ])
    func cleans(wikitext: String, expected: String) {
        #expect(WikitextCleaner.plainText(wikitext) == expected)
    }

    @Test func unbalancedMarkupDoesNotLoseTheRestOrCrash() {
        #expect(WikitextCleaner.plainText("ok [[broken link") == "ok broken link")
        _ = WikitextCleaner.plainText("{{{{{{")
        _ = WikitextCleaner.plainText("<ref>never closed")
        _ = WikitextCleaner.plainText("&#xFFFFFFFFF; &#55296; [[:]] [[|]]")
    }
}

// TextStream releases text that can no longer change: pieces concatenate to the final text, a stop
// sequence (even one split over several tokens) is never released, and the text ends before it.
import Testing
import SpindleTestSupport
import SpindleTokenizer
@testable import SpindleServe

@Suite(.requires(ServeFixture.ready))
struct TextStreamTests {
    static let text = "Coral reefs are built by colonies of tiny animals. Bread rises: ü, 🙂 and 42!"

    @Test(arguments: [[], ["tiny"], ["ü, 🙂"], ["never there"], ["s", "Bread"]])
    func piecesConcatenateToTheTextCutAtTheFirstStop(stops: [String]) throws {
        let sp = SentencePieceModelCache.tok
        let ids = sp.encode(Self.text)
        var stream = TextStream(tokenizer: sp, stops: stops)
        var released = ""
        for id in ids { released += stream.append(id) }
        released += stream.finish()
        let cut = stops.compactMap { Self.text.range(of: $0)?.lowerBound }.min()
        let expected = cut.map { String(Self.text[..<$0]) } ?? Self.text
        #expect(stream.text == expected)
        #expect(released == expected)
        #expect(stream.hitStop == (cut != nil))
        // No piece ever showed the start of a stop sequence that later completed.
        for s in stops where cut != nil { #expect(!released.contains(s)) }
    }

    @Test func byteFallbackCharactersAreReleasedWhole() throws {
        let sp = SentencePieceModelCache.tok
        let ids = sp.encode("🙂🙂")   // not in a 400-piece vocabulary: byte pieces
        var stream = TextStream(tokenizer: sp, stops: [])
        var pieces: [String] = []
        for id in ids { let p = stream.append(id); if !p.isEmpty { pieces.append(p) } }
        pieces.append(stream.finish())
        #expect(pieces.joined() == "🙂🙂")
        #expect(!pieces.joined().contains("\u{FFFD}"))
    }
}

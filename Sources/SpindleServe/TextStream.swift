// TextStream.swift: one answer's text as its tokens arrive. Each step decodes the tokens so far and
// releases only text that can no longer change: bytes of an unfinished UTF-8 character (byte-fallback
// pieces decode to U+FFFD until their last byte comes) and a tail that could still grow into a stop
// sequence are held back. Released pieces therefore concatenate to exactly the final text, and the
// final text ends before the first stop sequence (OpenAI leaves the stop sequence out).
import SpindleTokenizer

/// The decoded text of one generated sequence, released incrementally.
struct TextStream {
    let tokenizer: SentencePieceModel
    let stops: [[UInt8]]
    private(set) var tokens: [Int32] = []
    private var bytes: [UInt8] = []
    /// Bytes of `bytes` already released.
    private(set) var released = 0
    /// True once a stop sequence has appeared; later tokens are ignored.
    private(set) var hitStop = false

    init(tokenizer: SentencePieceModel, stops: [String]) {
        self.tokenizer = tokenizer
        self.stops = stops.map { Array($0.utf8) }
    }

    /// Adds a token; returns the text that became final (possibly empty).
    mutating func append(_ token: Int32) -> String {
        guard !hitStop else { return "" }
        tokens.append(token)
        bytes.removeAll(keepingCapacity: true)
        try? tokenizer.decode(tokens, into: &bytes)
        if let at = firstStop() {
            hitStop = true
            bytes.removeSubrange(at...)
            return release(upTo: at)
        }
        var end = bytes.count
        while end >= 3 && bytes[end - 3] == 0xEF && bytes[end - 2] == 0xBF && bytes[end - 1] == 0xBD { end -= 3 }
        end -= heldForStop(end)
        return release(upTo: end)
    }

    /// Ends the stream: the text not yet released.
    mutating func finish() -> String { release(upTo: bytes.count) }

    /// The whole text so far (after `finish`, the final answer).
    var text: String { String(decoding: bytes, as: UTF8.self) }

    private mutating func release(upTo end: Int) -> String {
        guard end > released else { return "" }
        defer { released = end }
        return String(decoding: bytes[released..<end], as: UTF8.self)
    }

    /// Where the earliest stop sequence starts in the text, if one occurs.
    private func firstStop() -> Int? {
        var best: Int? = nil
        for s in stops {
            // A new match must end in bytes not seen before: start the search just before them.
            let from = max(0, released - s.count)
            guard bytes.count >= s.count, from <= bytes.count - s.count else { continue }
            for i in from...(bytes.count - s.count) where bytes[i] == s[0] && bytes[i..<(i + s.count)].elementsEqual(s) {
                if best == nil || i < best! { best = i }
                break
            }
        }
        return best
    }

    /// The length of the longest tail of bytes[..<end] that is a proper prefix of a stop sequence.
    private func heldForStop(_ end: Int) -> Int {
        var held = 0
        for s in stops {
            var k = min(s.count - 1, end)
            while k > held {
                if bytes[(end - k)..<end].elementsEqual(s[0..<k]) { held = k; break }
                k -= 1
            }
        }
        return held
    }
}

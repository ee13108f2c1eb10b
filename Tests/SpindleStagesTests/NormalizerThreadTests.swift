import Dispatch
import Testing
import SpindleIO
@testable import SpindleStages

/// The normaliser's lazily filled Unicode table is filled safely when many threads meet new pages at once.
@Suite struct NormalizerThreadTests {
    /// Text touching many BMP pages (Latin-1, Greek, Cyrillic, Hebrew, Arabic, Devanagari, Thai, CJK, Hangul,
    /// full-width forms), built from a seeded draw so every thread has its own mix.
    static func text(seed: UInt64) -> [UInt8] {
        var rng = SeededRandom(seed: seed)
        let ranges: [ClosedRange<UInt32>] = [0xC0...0x24F, 0x370...0x3FF, 0x400...0x4FF, 0x5D0...0x5EA, 0x620...0x64A,
                                             0x905...0x939, 0xE01...0xE30, 0x4E00...0x9FFF, 0xAC00...0xD7A3, 0xFF01...0xFF5E]
        var s = ""
        for i in 0..<4000 {
            let r = ranges[rng.below(ranges.count)]
            s.unicodeScalars.append(Unicode.Scalar(r.lowerBound + UInt32(rng.below(Int(r.upperBound - r.lowerBound) + 1)))!)
            if i % 7 == 0 { s += " " }
        }
        return Array(s.utf8)
    }

    @Test func concurrentFirstUseMatchesSerial() {
        let inputs = (0..<16).map { Self.text(seed: UInt64($0)) }
        let par = Parallel(threads: 8)
        let concurrent = par.map(inputs) { t -> [UInt8] in
            var out: [UInt8] = []
            t.withUnsafeBufferPointer { TextNormalizer.normalize($0, into: &out) }
            return out
        }
        for (t, got) in zip(inputs, concurrent) {
            var out: [UInt8] = []
            t.withUnsafeBufferPointer { TextNormalizer.normalize($0, into: &out) }
            #expect(got == out)
            #expect(!out.isEmpty)
        }
    }
}

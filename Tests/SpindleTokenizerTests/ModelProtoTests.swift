import Foundation
import Testing
import SpindleIO
@testable import SpindleTokenizer
import SpindleTestSupport

@Suite struct ModelProtoTests {
    @Test(.requires(.llama2Tokenizer))
    func llama2ReadsAndWritesBackByteIdentically() throws {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: SharedData.llama2Model)))
        let m = try ModelProto(bytes: bytes)
        #expect(m.pieces.count == 32000)
        #expect(m.pieces[0].piece == "<unk>" && m.pieces[0].type == .unknown)
        #expect(m.pieces[1].piece == "<s>" && m.pieces[1].type == .control)
        #expect(m.pieces[3].piece == "<0x00>" && m.pieces[3].type == .byte)
        #expect(m.pieces[259].piece == "\u{2581}\u{2581}" && m.pieces[259].score == -1e9)
        #expect(m.pieces[260].piece == "\u{2581}t" && m.pieces[260].score == -1)
        #expect(m.trainerSpec.modelType == .bpe)
        #expect(m.trainerSpec.vocabSize == 32000)
        #expect(m.trainerSpec.byteFallback && m.trainerSpec.splitDigits)
        #expect(m.trainerSpec.padID == -1)
        #expect(abs(m.trainerSpec.characterCoverage - 0.99995) < 1e-6)
        #expect(m.normalizerSpec.name == "identity")
        #expect(m.normalizerSpec.addDummyPrefix && !m.normalizerSpec.removeExtraWhitespaces)
        #expect(m.serialized() == bytes)
    }

    @Test func setterKeepsFieldOrderAndRoundTrips() throws {
        var spec = TrainerSpec()
        spec.vocabSize = 100
        spec.modelType = .bpe
        spec.padID = -1
        spec.controlSymbols = ["<a>", "<b>"]
        spec.byteFallback = true
        #expect(spec.message.fields.map(\.number) == [3, 4, 30, 30, 35, 43])
        var m = ModelProto(pieces: [Piece("<unk>", score: 0, type: .unknown), Piece("a", score: -1)], trainerSpec: spec)
        m.normalizerSpec.name = "identity"
        let bytes = m.serialized()
        let back = try ModelProto(bytes: bytes)
        #expect(back == m)
        #expect(back.trainerSpec.padID == -1 && back.trainerSpec.controlSymbols == ["<a>", "<b>"])
        #expect(back.pieces[1].hasType == false)
    }

    @Test func unknownFieldsSurvive() throws {
        var m = ModelProto(pieces: [Piece("<unk>", score: 0, type: .unknown)])
        m.unknownFields = [.varint(99, 7), .bytes(100, [1, 2, 3])]
        m.pieces[0].unknownFields = [.float(9, 1.5)]
        let back = try ModelProto(bytes: m.serialized())
        #expect(back.unknownFields == m.unknownFields)
        #expect(back.pieces[0].unknownFields == m.pieces[0].unknownFields)
        #expect(back.serialized() == m.serialized())
    }

    @Test(arguments: [
        ([0x0A] as [UInt8], "truncated"),
        ([0x0A, 0x05, 0x0A], "truncated"),
        ([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01], "varint"),
        ([0x0B], "wire type"),
        ([0x0D, 0, 0, 0, 0], "wire type"),
        ([0x0A, 0x02, 0x0A, 0x01], "truncated"),
        ([0x0A, 0x03, 0x0A, 0x01, 0xFF], "UTF-8"),
    ])
    func malformedInputThrowsTypedError(bytes: [UInt8], expected: String) {
        do {
            _ = try ModelProto(bytes: bytes, file: "x.model")
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("x.model"))
            #expect(error.description.contains(expected), "\(error.description)")
        }
    }

    /// Random truncations and bit flips of the real file: every outcome is a model or a typed error.
    @Test(.requires(.llama2Tokenizer))
    func fuzzedLlama2FileNeverCrashes() throws {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: SharedData.llama2Model)))
        var rng = SeededRandom(seed: 42)
        var parsed = 0, failed = 0
        for round in 0..<120 {
            var b = bytes
            if round % 2 == 0 {
                b = Array(b[0..<Int.random(in: 0..<b.count, using: &rng)])
            } else {
                // Flip bits near the start (specs + first pieces) or anywhere.
                for _ in 0..<Int.random(in: 1...8, using: &rng) {
                    let i = round % 4 == 1 ? Int.random(in: 0..<min(4000, b.count), using: &rng) : Int.random(in: 0..<b.count, using: &rng)
                    b[i] ^= UInt8(1) << UInt8.random(in: 0...7, using: &rng)
                }
            }
            do {
                let m = try SentencePieceModel(bytes: b)
                _ = m.encode("Hello world 123 ✓")
                parsed += 1
            } catch {
                failed += 1
            }
        }
        #expect(parsed + failed == 120)
        #expect(failed > 0)
    }

    /// The fingerprint is the SHA-256 of the file, as `sha256sum` prints it.
    @Test(.requires(.llama2Tokenizer, .tool("sha256sum")))
    func fingerprintIsSHA256OfTheFile() throws {
        let m = try SharedData.llama2()
        let r = try runProcess("sha256sum", [SharedData.llama2Model])
        #expect(r.status == 0 && r.stdout.hasPrefix(m.fingerprint + " "), "\(r.output)")
    }
}

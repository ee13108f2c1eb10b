@testable import SpindleShards

/// A byte-level stand-in for SentencePiece with its encode semantics: a dummy-prefix space, no BOS/EOS,
/// and text never yields the special ids (bytes map to 3 + byte, as Llama 2's byte pieces do).
/// Splitting "[INST] u [/INST] a " into "[INST] u [/INST]" and "a " gives the same ids as the joint
/// string, exactly as with the real model.
struct FakeEncoder: TokenEncoder {
    var vocabSize: Int = 300
    var fingerprint: String = "fake-bytes-v1"
    var bosID: Int32 { 1 }
    var eosID: Int32 { 2 }

    func encode(_ text: String) -> [Int32] {
        Array((" " + text).utf8).map { Int32($0) + 3 }
    }

    func displayText(_ ids: [Int32]) -> String { decode(ids) }

    func decode(_ ids: [Int32]) -> String {
        var bytes: [UInt8] = []
        for id in ids {
            switch id {
            case 1: bytes += Array("<s>".utf8)
            case 2: bytes += Array("</s>".utf8)
            case 3..<259: bytes.append(UInt8(id - 3))
            default: bytes += Array("<unk>".utf8)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Decodes without the dummy-prefix space, for readable assertions.
func text(_ ids: ArraySlice<Int32>) -> String {
    let s = FakeEncoder().decode(Array(ids))
    return s.hasPrefix(" ") ? String(s.dropFirst()) : s
}

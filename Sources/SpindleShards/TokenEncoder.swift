/// What the packers need from a tokenizer. Spindle's SentencePiece model conforms (see
/// `SentencePiece+TokenEncoder.swift`); tests use a small deterministic fake.
///
/// `encode` has SentencePiece's `EncodeAsIds` semantics: the dummy-prefix space is added, no BOS or
/// EOS is added, and text never produces the special ids — `"<s>"` typed by a user is three ordinary
/// pieces, which is what lets loss masks and the verifier trust that `bosID`/`eosID` come only from
/// the template.
public protocol TokenEncoder {
    /// Token ids of `text` (no BOS/EOS).
    func encode(_ text: String) -> [Int32]
    /// Text of `ids` for display (inspect, error messages); the caller marks special ids itself.
    func displayText(_ ids: [Int32]) -> String
    /// `<s>` (1 in Llama 2).
    var bosID: Int32 { get }
    /// `</s>` (2 in Llama 2).
    var eosID: Int32 { get }
    /// Number of ids; every id is in `0..<vocabSize`.
    var vocabSize: Int { get }
    /// A stable identifier of the exact model (e.g. SHA-256 of the .model file), recorded in index.json
    /// so shards are never read with another tokenizer.
    var fingerprint: String { get }
}

/// The smallest token column type that holds a vocabulary.
public func tokenDType(forVocabSize n: Int) -> MDSDType {
    n <= 1 << 16 ? .uint16 : .int32
}

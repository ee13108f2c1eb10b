/// Everything that can go wrong writing, reading or verifying a shard directory. Every case names the
/// file (and where useful the byte offset or sample) and says what to do about the common mistakes.
public enum ShardError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A file could not be opened, read, written or renamed.
    case io(path: String, message: String)
    /// The directory has no index.json: not a shard directory, or a packing run that did not finish.
    case missingIndex(directory: String)
    /// index.json (or a shard's embedded column config) is not what the MDS format says it should be.
    case malformedIndex(path: String, reason: String)
    /// A well-formed file in a variant we do not read (another format, version, encoding or compression).
    case unsupported(path: String, reason: String)
    /// The file ends before the structure it declares does.
    case truncated(path: String, reason: String)
    /// The file's structure is inconsistent (offsets out of order, sizes that do not add up, bad frame).
    case corrupt(path: String, offset: Int, reason: String)
    /// A file's hash differs from the one index.json records (`field`: "raw_data" or "zip_data").
    case hashMismatch(path: String, field: String, algorithm: String, expected: String, actual: String)
    /// A file's size (on disk or decompressed) contradicts index.json's `field` (e.g. "raw_data.bytes"),
    /// or the recorded size is implausible for the file it comes from: refused before it is allocated.
    case sizeClaim(path: String, field: String, reason: String)
    /// The shards were packed with a different tokenizer than the one supplied to read them.
    case tokenizerMismatch(directory: String, packedWith: String, readingWith: String)
    /// The vocabulary does not fit the token column's integer type.
    case vocabularyTooLarge(vocabSize: Int, dtype: String)
    /// A token id outside the vocabulary (or outside the column type) was produced or read.
    case tokenOutOfRange(id: Int64, vocabSize: Int, context: String)
    /// A sample index beyond the end of the data set.
    case sampleOutOfRange(index: Int, count: Int)
    /// A sample handed to the writer does not match the columns it was configured with.
    case invalidSample(reason: String)
    /// The directory holds another kind of shard (e.g. preference shards where SFT rows were expected).
    case wrongKind(directory: String, expected: String, found: String)
    /// A structural invariant of packed rows does not hold (found by the verifier or the reader).
    case invariant(path: String, sample: Int, reason: String)
    /// The output directory already holds shards.
    case outputExists(directory: String)
    /// A valid MDS directory that `spindle pack` did not write (no "spindle" object in index.json).
    case notSpindleShards(path: String)

    public var description: String {
        switch self {
        case .io(let path, let message):
            return "\(path): \(message)"
        case .missingIndex(let dir):
            return "\(dir): no index.json — not a shard directory, or the packing run that wrote it did not finish"
        case .malformedIndex(let path, let reason):
            return "\(path): malformed MDS index: \(reason)"
        case .unsupported(let path, let reason):
            return "\(path): unsupported: \(reason)"
        case .truncated(let path, let reason):
            return "\(path): truncated: \(reason) (was the file cut short by an interrupted copy?)"
        case .corrupt(let path, let offset, let reason):
            return "\(path): corrupt at byte \(offset): \(reason)"
        case .hashMismatch(let path, let field, let algo, let expected, let actual):
            return "\(path): \(field).hashes.\(algo): the file hashes to \(actual), index.json records \(expected) — the file changed after packing"
        case .sizeClaim(let path, let field, let reason):
            return "\(path): \(field): \(reason)"
        case .tokenizerMismatch(let dir, let packed, let reading):
            return "\(dir): shards were packed with tokenizer \(packed) but are being read with \(reading); "
                + "re-pack with this tokenizer or pass the one they were packed with"
        case .vocabularyTooLarge(let n, let dtype):
            return "a vocabulary of \(n) tokens does not fit the \(dtype) token column; use --token-dtype int32"
        case .tokenOutOfRange(let id, let vocab, let context):
            return "\(context): token id \(id) is outside the vocabulary of \(vocab)"
        case .sampleOutOfRange(let index, let count):
            return "sample \(index) is out of range (the data set has \(count) samples)"
        case .invalidSample(let reason):
            return "invalid sample: \(reason)"
        case .wrongKind(let dir, let expected, let found):
            return "\(dir): holds \(found) shards, expected \(expected)"
        case .invariant(let path, let sample, let reason):
            return "\(path): sample \(sample): \(reason)"
        case .notSpindleShards(let path):
            return "\(path): an MDS data set without Spindle's \"spindle\" metadata (not written by spindle pack): "
                + "no tokenizer, kind or sequence length to check against"
        case .outputExists(let dir):
            return "\(dir): already holds an index.json; pass --overwrite to replace it"
        }
    }
}

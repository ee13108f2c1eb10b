// The fuzz targets: each feeds the bytes to one parser's public entry point. Errors are swallowed
// (they are the right answer to bad input); only a crash, an OOM or a hang reaches libFuzzer.
import SpindleIO
import SpindleShards
import SpindleStages
import SpindleTokenizer
import SpindleTrainer

struct FuzzTarget: Sendable {
    let name: String
    let summary: String
    let run: @Sendable (UnsafeBufferPointer<UInt8>) -> Void

    static let all: [FuzzTarget] = [
        FuzzTarget(name: "jsonl", summary: "JSONL lines: JSONValue, JSONLine, Document/SFT/preference records, RecordInput",
                   run: RecordTargets.jsonl),
        FuzzTarget(name: "modelproto", summary: "SentencePiece .model: ModelProto, SentencePieceModel, encode/decode",
                   run: TokenizerTargets.modelProto),
        FuzzTarget(name: "safetensors", summary: "safetensors header and tensors (Safetensors.read)",
                   run: TrainerTargets.safetensors),
        FuzzTarget(name: "mds", summary: "MDS shard directory: u32 LE index length, index.json, then the first shard file",
                   run: ShardTargets.mds),
        FuzzTarget(name: "llama2c", summary: "llama2.c checkpoint v0/v1 (Checkpoint.loadLlama2c)",
                   run: TrainerTargets.llama2c),
        FuzzTarget(name: "config", summary: "trainer config JSON (TrainConfig.load) and HF config.json (Checkpoint.loadConfig)",
                   run: TrainerTargets.config),
        FuzzTarget(name: "wikixml", summary: "MediaWiki XML export (WikiXMLIngest.run)",
                   run: StageTargets.wikiXML),
    ]
}

/// A property that must hold for any input; breaking it is a finding like a crash.
func fuzzCheck(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("spindle-fuzz property violated: \(message())") }
}

enum RecordTargets {
    /// The whole input as one JSON value, each line as a record, and the file through RecordInput.
    static func jsonl(_ data: UnsafeBufferPointer<UInt8>) {
        _ = try? JSONValue.parse(data)
        var start = 0
        for i in 0...data.count where i == data.count || data[i] == 0x0A {
            let line = UnsafeBufferPointer(rebasing: data[start..<i])
            start = i + 1
            guard let json = try? JSONLine(line) else { continue }
            _ = json.keys
            _ = try? json.string("text")
            _ = try? json.value("messages")
            _ = json.otherFields(excluding: Document.knownFields)
            if let doc = try? Document(json: json) {
                let again = try? Document(json: JSONLine(doc.jsonLine()))
                fuzzCheck(again == doc, "Document does not survive jsonLine() and back: \(doc.jsonLine())")
            }
            if let sft = try? SFTExample(json: json) { _ = sft.jsonLine() }
            if let pair = try? PreferencePair(json: json) { _ = pair.jsonLine() }
        }
        let path = Scratch.put(data, to: "input.jsonl")
        if let input = try? RecordInput(paths: [path], policy: .skip) {
            try? input.forEach(Document.self) { _ = $0.textUTF8Count }
        }
    }
}

enum TokenizerTargets {
    static let sample = "Hello, wörld! 123 ▁x  \t tabs\nnew lines 日本語 🙂 \u{0}"

    /// The proto, then a full model built from it, used once each way.
    static func modelProto(_ data: UnsafeBufferPointer<UInt8>) {
        let bytes = Array(data)
        if let proto = try? ModelProto(bytes: bytes) { _ = proto.serialized() }
        guard let model = try? SentencePieceModel(bytes: bytes) else { return }
        let ids = model.encode(sample, addBOS: true, addEOS: true)
        _ = try? model.decode(ids)
        _ = model.encodeAsPieces(sample)
        _ = model.normalize(sample)
        for id in ids.prefix(8) { _ = model.piece(id) }
    }
}

enum TrainerTargets {
    static func safetensors(_ data: UnsafeBufferPointer<UInt8>) {
        _ = try? Safetensors.read(Scratch.put(data, to: "model.safetensors"))
    }

    static func llama2c(_ data: UnsafeBufferPointer<UInt8>) {
        _ = try? Checkpoint.loadLlama2c(Scratch.put(data, to: "model.bin"))
    }

    /// The same bytes as a training config and as a checkpoint's config.json.
    static func config(_ data: UnsafeBufferPointer<UInt8>) {
        if let config = try? TrainConfig.load(Scratch.put(data, to: "train.json")) { _ = config.json() }
        let dir = Scratch.subdirectory("checkpoint")
        Scratch.put(data, to: "config.json", in: dir)
        if let model = try? Checkpoint.loadConfig(dir) { _ = model.huggingFaceJSON() }
    }
}

enum StageTargets {
    static func wikiXML(_ data: UnsafeBufferPointer<UInt8>) {
        _ = try? WikiXMLIngest().run(path: Scratch.put(data, to: "dump.xml")) { _ = $0.jsonLine() }
    }
}

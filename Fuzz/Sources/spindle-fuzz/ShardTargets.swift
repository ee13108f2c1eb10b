// The MDS target: one input is a whole shard directory, framed as a u32 little-endian length, that many
// bytes of index.json, and the rest as the file of the index's first shard (raw or zstd by its name).
import SpindleShards

enum ShardTargets {
    static let maxSamples = 64
    nonisolated(unsafe) static var written: [String] = []

    static func mds(_ data: UnsafeBufferPointer<UInt8>) {
        let dir = Scratch.subdirectory("shards")
        for name in written { Scratch.remove(name, in: dir) }
        written = []
        guard data.count >= 4 else { return }
        let length = Int(data[0]) | Int(data[1]) << 8 | Int(data[2]) << 16 | Int(data[3]) << 24
        let indexEnd = 4 + min(length, data.count - 4)
        let index = data[4..<indexEnd], shard = data[indexEnd...]
        written.append("index.json")
        Scratch.put(index, to: "index.json", in: dir)
        if let parsed = try? MDSIndex.parse(Array(index), path: "index.json"), let first = parsed.shards.first {
            let name = first.zipData?.basename ?? first.rawData.basename
            if !name.isEmpty, !name.contains("/"), name != ".", name != ".." {
                written.append(name)
                Scratch.put(shard, to: name, in: dir)
            }
        }
        readDataset(dir)
        readRaw(dir)
    }

    /// The trainer's view: typed rows of a Spindle shard directory.
    static func readDataset(_ dir: String) {
        guard let dataset = try? ShardDataset(directory: dir) else { return }
        for i in 0..<min(dataset.count, maxSamples) {
            switch dataset.metadata.kind {
            case .pretrain, .sft: _ = try? dataset.row(i)
            case .preference: _ = try? dataset.pair(i)
            case .prompts: _ = try? dataset.prompt(i)
            }
        }
    }

    /// Any MDS directory: `shards verify`'s checks, then every column of the first samples.
    static func readRaw(_ dir: String) {
        guard let reader = try? MDSReader(directory: dir) else { return }
        _ = ShardVerifier.verifyMDS(reader)
        for i in 0..<min(reader.count, maxSamples) {
            guard let sample = try? reader.sample(i) else { continue }
            for (name, encoding) in zip(sample.columns.names, sample.columns.encodings) {
                _ = try? sample.raw(name)
                switch encoding {
                case .str: _ = try? sample.string(name)
                case .int, .scalar: _ = try? sample.integer(name)
                case .ndarray: _ = try? sample.int32s(name); _ = try? sample.uint8s(name)
                case .bytes: break
                }
            }
        }
    }
}

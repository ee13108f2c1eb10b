import SpindleIO

extension PackRun {
    /// Graded preference pairs for reward models (or, with `promptsOnly`, their distinct prompts),
    /// in the mix `mix` sampled with `sink.seed`.
    public func preference(mix: PreferenceMix, promptsOnly: Bool) throws -> String {
        let model = encoder, start = Progress.now()
        // Mixes sample across the whole input, so pairs are read first (they are small).
        var pairs: [(PreferenceExample, String, Int)] = []
        var textBytes = 0
        try input.forEach(PreferencePair.self) { x in
            textBytes += x.prompt.reduce(0) { $0 + $1.content.utf8.count } + x.chosen.utf8.count + x.rejected.utf8.count
            pairs.append((x, input.currentFile, input.currentLine))
        }
        let selected = mix.select(aspects: pairs.map(\.0.aspect), seed: sink.seed).map { pairs[$0] }
        let mixStats: [String: JSONValue] = ["mix": .string(mix.rawValue), "input_pairs": .int(Int64(pairs.count))]
        var skipped = 0
        let shardSink = try ShardSink(kind: promptsOnly ? .prompts : .preference, encoder: model, options: sink)
        let summary: String
        if promptsOnly {
            let packer = PromptPacker(sink: shardSink, encoder: model)
            var batcher = Batcher<PreferenceExample, [Int32]>(threads: threads, policy: policy)
            try feed(selected, into: &batcher, skipped: &skipped,
                     prepare: { x in Result { () throws(ChatTemplateError) in try packer.prepare(x.prompt) } },
                     add: { x, ids in try packer.add(id: x.id, prepared: ids, aspect: x.aspect) })
            try packer.finish(extraStats: mixStats)
            summary = "\(packer.prompts) distinct prompts (\(packer.duplicates) duplicates, \(packer.droppedOverlong) overlong dropped)"
        } else {
            let packer = PreferencePacker(sink: shardSink, encoder: model)
            var batcher = Batcher<PreferenceExample, PreferencePacker.Prepared>(threads: threads, policy: policy)
            try feed(selected, into: &batcher, skipped: &skipped,
                     prepare: { x in Result { () throws(ChatTemplateError) in try packer.prepare(x) } },
                     add: { x, p in try packer.add(x, prepared: p) })
            try packer.finish(extraStats: mixStats)
            let aspects = packer.aspectCounts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            summary = "\(packer.pairs) pairs (\(aspects)), \(packer.droppedOverlong) overlong dropped"
        }
        try input.finish(command: command)
        warnIfEmpty(shardSink.writer.samplesWritten)
        return "spindle \(command): \(pairs.count) input pairs, mix \(mix.rawValue) -> \(summary), \(skipped) invalid skipped; "
            + "text " + Self.describeRate(bytes: textBytes, seconds: Progress.now() - start)
    }

    private func feed<P>(_ items: [(PreferenceExample, String, Int)], into batcher: inout Batcher<PreferenceExample, P>,
                         skipped: inout Int, prepare: (PreferenceExample) -> Result<P, ChatTemplateError>,
                         add: (PreferenceExample, P) throws -> Void) throws {
        for item in items {
            batcher.items.append(item)
            if batcher.items.count >= batcher.size { try batcher.flush(prepare: prepare, add: add, skipped: &skipped) }
        }
        try batcher.flush(prepare: prepare, add: add, skipped: &skipped)
    }
}

// The first pass of the one-shot `dedup --near` run: signatures into the in-memory index (or, past
// --memory-budget, into a signature file reduced like the three-phase path), then the verified graph and
// the kept set. Pairs the estimate cannot decide (DedupVerify.swift) are verified exactly after a second
// read of the input that computes shingle sets for their documents only.

import SpindleIO

extension DedupStage {
    struct NearPass {
        var ids: [String] = []
        var removals: [Removal] = []
        var scored = 0   // documents with a numeric --keep FIELD
    }

    func newIndex() -> NearDupIndex {
        var index = NearDupIndex(lsh: options.resolvedLSH, numPerm: options.numPerm, threshold: options.threshold, verify: options.verify)
        index.maxComparisons = options.maxComparisons
        index.estimateMargin = options.estimateMargin
        index.sigmas = options.sigmas
        return index
    }

    /// Reads `records` (the first pass), builds the graph and returns the removals by document index.
    func nearPass(_ records: StageInput, readPaths: [String], fieldName: String?, _ report: inout DedupReport) throws -> NearPass {
        var result = NearPass()
        let lsh = options.resolvedLSH
        var index = newIndex()
        var pipe = MinHashPipeline(ngram: options.ngram, numPerm: options.numPerm, seed: options.seed)
        var sig = [UInt32](repeating: 0, count: options.numPerm)
        var text: [UInt8] = []
        var spill: DedupSignatureWriter? = nil
        var spillFile: StageSpillFile? = nil
        var locations: [(String, Int)] = []
        try records.forEach { path, line, json in
            try StageText.text(of: json, field: options.textField, into: &text)
            text.withUnsafeBufferPointer { t in sig.withUnsafeMutableBufferPointer { pipe.signature(of: t, into: $0) } }
            let id = StageText.id(of: json, fallback: "\(path):\(line)")
            let fieldScore = fieldName.flatMap { StageText.number(of: json, field: $0) }
            if fieldScore != nil { result.scored += 1 }
            let score = fieldScore ?? -.infinity
            report.bytesIn += text.count
            if spill == nil, let budget = options.memoryBudget, (index.count + 1) * options.bytesPerDocument > budget {
                // Past the budget: move what the index holds to disk and continue there.
                spillFile = try StageSpillFile(suffix: "sig")
                spill = try DedupSignatureWriter(path: spillFile!.path, lsh: lsh)
                for d in 0..<index.count {
                    try index.signatures.withUnsafeBufferPointer { s in
                        try spill!.write(path: locations[d].0, line: locations[d].1, id: result.ids[d], length: index.lengths[d],
                                         score: index.scores[d],
                                         signature: UnsafeBufferPointer(rebasing: s[(d * options.numPerm)..<((d + 1) * options.numPerm)]))
                    }
                }
                index = newIndex()
                report.spilled = true
            }
            if let w = spill {
                try sig.withUnsafeBufferPointer { try w.write(path: path, line: line, id: id, length: text.count, score: score, signature: $0) }
            } else {
                sig.withUnsafeBufferPointer { _ = index.add(signature: $0, shingles: nil, length: text.count, score: score) }
            }
            result.ids.append(id); locations.append((path, line))
        }
        if let w = spill, let f = spillFile {
            try w.close()
            result.removals = try reduceSpilled(f, locations: locations, readPaths: readPaths, &report)
        } else {
            let c = try index.clusters(keep: options.keep, select: options.select) { docs in
                // Second read: shingle sets for the documents of ambiguous pairs only, found by (input, line).
                var slot: [String: [Int: Int]] = [:]
                for (k, d) in docs.enumerated() { slot[locations[d].0, default: [:]][locations[d].1] = k }
                return try exactShingleSets(paths: readPaths, slots: docs.count, textField: options.textField,
                                            ngram: options.ngram) { name, line in slot[name]?[line] }
            }
            result.removals = c.removals
            report.comparisons = c.comparisons; report.edges = c.edges
            report.exactPairs = c.exactPairs; report.exactDocuments = c.exactDocuments
        }
        return result
    }

    /// The spill path: sorts the signature file and reduces it as `dedup clusters` does.
    func reduceSpilled(_ f: StageSpillFile, locations: [(String, Int)], readPaths: [String], _ report: inout DedupReport) throws -> [Removal] {
        let sorted = try StageSpillFile(suffix: "sorted")
        try externalSort(input: f.path, output: sorted.path, memory: options.memoryBudget ?? (256 << 20))
        var reducer = DedupClusterReducer(threshold: options.threshold, keep: options.keep, maxComparisons: options.maxComparisons,
                                          select: options.select)
        reducer.estimateMargin = options.estimateMargin
        reducer.verify = options.verify
        reducer.sigmas = options.sigmas
        reducer.ngram = options.ngram
        reducer.textField = options.textField
        // A spooled stdin is named "-" in the signature lines: read it again from the spool.
        for p in readPaths where StageSpool.isSpool(p) { reducer.sources["-"] = p }
        try reducer.consume(path: sorted.path)
        let rem = try reducer.removals()
        report.comparisons = reducer.comparisons; report.edges = reducer.edges
        report.exactPairs = reducer.exactPairs; report.exactDocuments = reducer.exactDocuments
        // Map (path, line) back to document indices.
        var at: [String: Int] = [:]
        for (d, loc) in locations.enumerated() { at["\(loc.0)\t\(loc.1)"] = d }
        return rem.compactMap { r in
            guard let d = at["\(r.path)\t\(r.line)"], let k = at["\(r.keptPath)\t\(r.keptLine)"] else { return nil }
            return Removal(doc: d, keptDoc: k, similarity: r.similarity, exact: r.exact)
        }
    }
}

// PipelineReportRuns.swift: the tokenizer and the training runs of the pipeline report — vocabulary
// statistics from the `.vocab` file, and per run a summary table, its curves (loss and eval loss,
// learning rate, accuracies, PPO rewards and KL), the reward model's accuracy per degree and aspect from
// eval.txt, its figures, and a link to the run's own page.
import Foundation

enum VocabularySection {
    static func html(page: Page, path: String) -> String {
        let pieces = page.read(path).split(separator: "\n", omittingEmptySubsequences: true).map { $0.split(separator: "\t").first.map(String.init) ?? "" }
        let control: Set<String> = ["<unk>", "<s>", "</s>", "<pad>"]
        let bytePieces = pieces.filter { $0.count == 6 && $0.hasPrefix("<0x") && $0.hasSuffix(">") }.count
        let specials = pieces.filter { control.contains($0) }.count
        let normal = pieces.filter { !control.contains($0) && !($0.count == 6 && $0.hasPrefix("<0x") && $0.hasSuffix(">")) }
        let wordStart = normal.filter { $0.hasPrefix("\u{2581}") }.count
        let lengths = normal.map { $0.replacingOccurrences(of: "\u{2581}", with: "").count }
        let digits = normal.filter { !$0.isEmpty && $0.allSatisfy(\.isNumber) }.count
        let mean = lengths.isEmpty ? 0 : Double(lengths.reduce(0, +)) / Double(lengths.count)
        let model = (path as NSString).deletingPathExtension + ".model"
        let modelSize = (try? FileManager.default.attributesOfItem(atPath: page.path(model))[.size] as? NSNumber)?.doubleValue
        var h = "<h3>\(esc(path))</h3>"
        h += table(["figure", "value"], [["pieces", fmt(pieces.count)], ["control pieces (<unk>, <s>, </s>)", fmt(specials)],
                                          ["byte-fallback pieces", fmt(bytePieces)], ["word-initial pieces (▁…)", fmt(wordStart)],
                                          ["digit pieces", fmt(digits)], ["mean piece length (characters, without ▁)", String(format: "%.2f", mean)],
                                          ["longest piece", fmt(lengths.max() ?? 0) + " characters"], [model, bytes(modelSize)]])
        var hist: [Int: Int] = [:]
        for l in lengths { hist[min(l, 12), default: 0] += 1 }
        h += SVGChart.bars(title: "learned pieces by length (characters, without ▁)", rows: hist.keys.sorted().map { k in
            (k == 12 ? "12+" : "\(k)", Double(hist[k]!), "\(hist[k]!)")
        }, color: "#17becf")
        let longest = normal.sorted { ($0.count, $1) > ($1.count, $0) }.prefix(12)
        h += "<p class=\"note\">longest pieces: " + longest.map { "<code>\(esc($0))</code>" }.joined(separator: " ") + "</p>"
        return h
    }
}

/// A run's metrics.jsonl as series: key → (x, value), x being `step` or `iteration`.
struct Metrics {
    var series: [String: [(Int, Double)]] = [:]
    var lines = 0
    /// What x counts: `step`, or `iteration` (PPO).
    var xName = "step"

    init(text: String) {
        for line in text.split(separator: "\n") {
            guard let o = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any],
                  let x = number(o["step"]) ?? number(o["iteration"]) else { continue }
            lines += 1
            if o["step"] == nil { xName = "iteration" }
            for (k, v) in o where k != "step" && k != "iteration" {
                if let n = v as? NSNumber { series[k, default: []].append((Int(x), n.doubleValue)) }
            }
        }
    }

    func last(_ k: String) -> Double? { series[k]?.last?.1 }
    func first(_ k: String) -> Double? { series[k]?.first?.1 }
    func has(_ k: String) -> Bool { !(series[k]?.isEmpty ?? true) }
}

enum RunSection {
    /// The list of runs with links to their pages.
    static func index(page: Page, runs: [String]) -> String {
        guard !runs.isEmpty else { return "<p>none</p>" }
        return "<ul>" + runs.map { r in
            let own = FileManager.default.fileExists(atPath: page.path(r + "/report.html"))
            return "<li><a href=\"#run-\(esc(r))\">\(esc(r))</a>" + (own ? " — " + page.link(r + "/report.html", "its own page") : "") + "</li>"
        }.joined() + "</ul>"
    }

    static func html(page: Page, dir: String, svgs: [String]) -> String {
        var h = "<h3 id=\"run-\(esc(dir))\">\(esc(dir))</h3>"
        if FileManager.default.fileExists(atPath: page.path(dir + "/report.html")) { h += "<p>" + page.link(dir + "/report.html", "the run's page") + "</p>" }
        let m = Metrics(text: page.read(dir + "/metrics.jsonl"))
        h += summary(m)
        h += "<div class=\"figs\">" + curves(m) + "</div>"
        let eval = page.read(dir + "/eval.txt")
        if !eval.isEmpty { h += rewardEval(eval) + "<details><summary>eval.txt</summary><pre>\(esc(eval))</pre></details>" }
        for s in svgs { h += "<p class=\"note\">\(esc(s))</p>" + page.read(s) }
        if let state = page.json(dir + "/rejection_state.json") {
            h += table(["rejection sampling", "value"], [["iterations done", fmt(state["iterations_done"])],
                                                        ["kept samples", fmt((state["kept"] as? [Any])?.count ?? 0)]])
        }
        return h
    }

    /// First and last values of the headline figures.
    static func summary(_ m: Metrics) -> String {
        guard m.lines > 0 else { return "" }
        let keys = ["loss", "eval_loss", "eval_perplexity", "accuracy", "eval_accuracy", "reward_accuracy", "eval_reward_accuracy",
                    "reward_combined_mean", "heldout_reward", "kl_k1", "tokens_seen", "tokens_per_s"]
        var rows: [[String]] = [["metrics lines", "", fmt(m.lines)]]
        for k in keys where m.has(k) {
            let s = m.series[k]!
            rows.append([k, fmt(s.first!.1) + " (at \(s.first!.0))", fmt(s.last!.1) + " (at \(s.last!.0))"])
        }
        return table(["figure", "first", "last"], rows)
    }

    /// The charts the metrics allow.
    static func curves(_ m: Metrics) -> String {
        let c = SVGChart.palette
        func pick(_ specs: [(String, String)]) -> [SVGChart.Series] {
            specs.enumerated().compactMap { i, s in m.series[s.0].map { (name: s.1, color: c[i % c.count], points: $0) } }
        }
        let xLabel = m.xName
        var h = ""
        let loss = pick([("loss", "train"), ("eval_loss", "eval")])
        if !loss.isEmpty { h += SVGChart.lines(title: "loss", series: loss, xLabel: xLabel) }
        if m.has("lr") { h += SVGChart.lines(title: "learning rate", series: pick([("lr", "lr")]), xLabel: xLabel) }
        let acc = pick([("accuracy", "train accuracy"), ("eval_accuracy", "eval accuracy"), ("reward_accuracy", "reward accuracy"),
                        ("eval_reward_accuracy", "eval reward accuracy")])
        if !acc.isEmpty { h += SVGChart.lines(title: "accuracy (chosen scored above rejected)", series: acc, xLabel: xLabel) }
        if m.has("margin") || m.has("eval_reward_margin") {
            h += SVGChart.lines(title: "margin", series: pick([("margin", "train"), ("reward_margin", "reward"), ("eval_reward_margin", "eval")]), xLabel: xLabel)
        }
        let reward = pick([("reward_combined_mean", "combined"), ("reward_helpfulness_mean", "helpfulness"),
                           ("reward_safety_mean", "safety"), ("heldout_reward", "held-out")])
        if !reward.isEmpty { h += SVGChart.lines(title: "reward (mean over rollout; held-out)", series: reward, xLabel: xLabel) }
        let kl = pick([("kl_k1", "k1"), ("kl_k3", "k3"), ("approx_kl", "approx")])
        if !kl.isEmpty { h += SVGChart.lines(title: "KL to the reference", series: kl, xLabel: xLabel) }
        return h
    }

    /// eval.txt's `degree NAME ACC (c/n)` and `aspect NAME ACC (c/n)` lines as bars.
    static func rewardEval(_ text: String) -> String {
        var groups: [String: [(String, Double, String)]] = [:]
        for line in text.split(separator: "\n") {
            let f = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            guard f.count >= 3, f[0] == "degree" || f[0] == "aspect", let acc = Double(f[2]) else { continue }
            groups[f[0], default: []].append((f[1].replacingOccurrences(of: "_", with: " "), acc,
                                              String(format: "%.1f%% ", acc * 100) + (f.count > 3 ? f[3] : "")))
        }
        var h = ""
        for g in ["degree", "aspect"] where groups[g] != nil {
            h += SVGChart.bars(title: "held-out accuracy per \(g)", rows: groups[g]!, scale: 1, color: g == "degree" ? "#1f77b4" : "#2ca02c")
        }
        return h
    }
}

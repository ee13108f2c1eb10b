// WinRatePage.swift: the win-rate HTML page: the rates with their intervals per aspect, then sampled
// prompts with both answers side by side and both reward models' scores.
import Foundation
import SpindleIO
import SpindleTrainer

extension WinRateOutcome {
    static func escape(_ s: String) -> String {
        var o = ""
        for c in s.unicodeScalars {
            switch c {
            case "&": o += "&amp;"
            case "<": o += "&lt;"
            case ">": o += "&gt;"
            case "\"": o += "&quot;"
            default: o.unicodeScalars.append(c)
            }
        }
        return o
    }

    /// `show` pairs drawn without replacement (seeded), in prompt order.
    public func html(modelA: String, modelB: String, margin: Double, show: Int, seed: UInt64) -> String {
        var rng = SeededRandom(seed: seed)
        var idx = Array(prompts.indices)
        idx.shuffle(using: &rng)
        let shown = idx.prefix(show).sorted()
        func f(_ r: RateInterval) -> String { String(format: "%.1f%% <small>[%.1f, %.1f]</small>", 100 * r.value, 100 * r.low, 100 * r.high) }
        var h = """
        <!doctype html><html><head><meta charset="utf-8"><title>Win rate: B vs A</title>
        <style>body{font-family:sans-serif;margin:2em;max-width:1200px}table{border-collapse:collapse;width:100%}
        td,th{border:1px solid #ccc;padding:6px;vertical-align:top;text-align:left}pre{white-space:pre-wrap;margin:0}
        .win{background:#e6f4ea}.loss{background:#fce8e6}</style></head><body>
        <h1>Win rate of B against A, judged by the reward models</h1>
        <p>A: <code>\(Self.escape(modelA))</code><br>B: <code>\(Self.escape(modelB))</code><br>
        \(prompts.count) prompts; a prompt is a win for B when its reward exceeds A's by more than \(margin), a tie within it;
        95% intervals from the bootstrap over prompts (Llama 2 §3.4, Fig. 11).</p>
        <table><tr><th>aspect</th><th>win</th><th>tie</th><th>loss</th><th>mean gain r<sub>B</sub> − r<sub>A</sub></th></tr>

        """
        func g(_ r: RateInterval) -> String { String(format: "%+.3f <small>[%+.3f, %+.3f]</small>", r.value, r.low, r.high) }
        for a in aspects { h += "<tr><td>\(a.aspect)</td><td>\(f(a.win))</td><td>\(f(a.tie))</td><td>\(f(a.loss))</td><td>\(g(a.gain))</td></tr>\n" }
        h += "</table>\n"
        if let d = drift {
            h += String(format: "<p>Drift of B from A: log π<sub>B</sub>/π<sub>A</sub> summed over B's answers %.3f [%.3f, %.3f] "
                        + "(a KL(B‖A) estimate when B's answers are samples at temperature 1); answer tokens A %.1f, B %.1f; "
                        + "repeated 4-grams A %.3f, B %.3f; EOS rate A %.2f, B %.2f.</p>\n",
                        d.logRatio.value, d.logRatio.low, d.logRatio.high, d.lengthA, d.lengthB, d.repetitionA, d.repetitionB, d.eosRateA, d.eosRateB)
        }
        h += "<h2>\(shown.count) sampled prompts</h2>\n<table><tr><th>prompt</th><th>A</th><th>B</th></tr>\n"
        for i in shown {
            let d = scoresB[i].helpfulness - scoresA[i].helpfulness
            let cls = d > margin ? " class=\"win\"" : (d < -margin ? " class=\"loss\"" : "")
            func score(_ s: SampleReward) -> String { String(format: "helpfulness %.3f · safety %.3f", s.helpfulness, s.safety) }
            h += "<tr\(cls)><td><pre>\(Self.escape(prompts[i].text))</pre>\(prompts[i].isSafety ? "<br><small>safety prompt</small>" : "")</td>"
            h += "<td><pre>\(Self.escape(answersA[i]))</pre><small>\(score(scoresA[i]))</small></td>"
            h += "<td><pre>\(Self.escape(answersB[i]))</pre><small>\(score(scoresB[i]))</small></td></tr>\n"
        }
        return h + "</table></body></html>\n"
    }
}

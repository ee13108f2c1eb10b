// Report.swift: a self-contained HTML page with SVG curves of training/eval loss and learning rate.
import Foundation
import SpindleIO

/// Points recorded during a run, for the report.
public struct RunHistory: Sendable {
    public var train: [(step: Int, loss: Double)] = []
    public var eval: [(step: Int, loss: Double)] = []
    public var lr: [(step: Int, lr: Double)] = []
    public init() {}
}

enum Report {
    /// An SVG polyline chart of one or more series (x = step); `SVGChart.lines` draws it.
    static func svg(title: String, series: [(name: String, color: String, points: [(Int, Double)])], logY: Bool = false,
                    xTicks: [(x: Int, label: String)]? = nil) -> String {
        SVGChart.lines(title: title, series: series, logY: logY, xTicks: xTicks)
    }

    static func html(title: String, config: String, history: RunHistory, summary: [String]) -> String {
        let loss = svg(title: "loss (nats/token)", series: [
            ("train", "#1f77b4", history.train.map { ($0.step, $0.loss) }),
            ("eval", "#d62728", history.eval.map { ($0.step, $0.loss) }),
        ])
        let lr = svg(title: "learning rate", series: [("lr", "#2ca02c", history.lr.map { ($0.step, $0.lr) })])
        let esc = config.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        return """
        <!doctype html><html><head><meta charset="utf-8"><title>\(title)</title>
        <style>body{font-family:sans-serif;max-width:700px;margin:2em auto}pre{background:#f4f4f4;padding:8px;overflow:auto}</style>
        </head><body><h1>\(title)</h1><ul>\(summary.map { "<li>\($0)</li>" }.joined())</ul>
        \(loss)\n\(lr)<h2>config</h2><pre>\(esc)</pre></body></html>

        """
    }
}

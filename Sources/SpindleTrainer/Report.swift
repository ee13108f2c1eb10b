// Report.swift: a self-contained HTML page with SVG curves of training/eval loss and learning rate.
import Foundation

/// Points recorded during a run, for the report.
public struct RunHistory: Sendable {
    public var train: [(step: Int, loss: Double)] = []
    public var eval: [(step: Int, loss: Double)] = []
    public var lr: [(step: Int, lr: Double)] = []
    public init() {}
}

enum Report {
    /// An SVG polyline chart of one or more series (x = step).
    /// `xTicks` labels those x positions instead of the first and last step.
    static func svg(title: String, series: [(name: String, color: String, points: [(Int, Double)])], logY: Bool = false,
                    xTicks: [(x: Int, label: String)]? = nil) -> String {
        let w = 640.0, h = 260.0, left = 60.0, bottom = 30.0, top = 20.0, right = 20.0
        let all = series.flatMap(\.points).filter { $0.1.isFinite && (!logY || $0.1 > 0) }
        guard let minX = all.map(\.0).min(), let maxX = all.map(\.0).max() else {
            return "<p>\(title): no data</p>"
        }
        let ys = all.map { logY ? log10($0.1) : $0.1 }
        var lo = ys.min()!, hi = ys.max()!
        if hi - lo < 1e-12 { lo -= 0.5; hi += 0.5 }
        func px(_ x: Int) -> Double { left + (w - left - right) * Double(x - minX) / Double(max(1, maxX - minX)) }
        func py(_ y: Double) -> Double { top + (h - top - bottom) * (1 - ((logY ? log10(y) : y) - lo) / (hi - lo)) }
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(w))\" height=\"\(Int(h))\" font-family=\"sans-serif\" font-size=\"11\">"
        s += "<text x=\"\(left)\" y=\"13\" font-weight=\"bold\">\(title)</text>"
        s += "<line x1=\"\(left)\" y1=\"\(h - bottom)\" x2=\"\(w - right)\" y2=\"\(h - bottom)\" stroke=\"#999\"/>"
        s += "<line x1=\"\(left)\" y1=\"\(top)\" x2=\"\(left)\" y2=\"\(h - bottom)\" stroke=\"#999\"/>"
        for i in 0...4 {
            let v = lo + (hi - lo) * Double(i) / 4, y = top + (h - top - bottom) * (1 - Double(i) / 4)
            let label = logY ? String(format: "%.2g", pow(10, v)) : String(format: "%.3g", v)
            s += "<text x=\"\(left - 4)\" y=\"\(y + 4)\" text-anchor=\"end\">\(label)</text>"
        }
        if let xTicks {
            for t in xTicks { s += String(format: "<text x=\"%.1f\" y=\"\(h - 12)\" text-anchor=\"middle\">\(t.label)</text>", px(t.x)) }
        } else {
            s += "<text x=\"\(left)\" y=\"\(h - 12)\">step \(minX)</text><text x=\"\(w - right)\" y=\"\(h - 12)\" text-anchor=\"end\">step \(maxX)</text>"
        }
        for (i, ser) in series.enumerated() {
            let pts = ser.points.filter { $0.1.isFinite && (!logY || $0.1 > 0) }
                .map { String(format: "%.1f,%.1f", px($0.0), py($0.1)) }.joined(separator: " ")
            s += "<polyline fill=\"none\" stroke=\"\(ser.color)\" stroke-width=\"1.5\" points=\"\(pts)\"/>"
            if ser.points.count < 40 {
                for p in ser.points where p.1.isFinite { s += String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"\(ser.color)\"/>", px(p.0), py(p.1)) }
            }
            s += "<text x=\"\(w - right - 120)\" y=\"\(top + 14 * Double(i + 1))\" fill=\"\(ser.color)\">\(ser.name)</text>"
        }
        return s + "</svg>"
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

// SVGChart.swift: inline SVG figures with no script and no external asset — line charts of a run's
// curves (the per-run report pages and the pipeline report share them) and horizontal bar charts.
import Foundation

public enum SVGChart {
    /// One named line: points (x, y); non-finite y values are skipped.
    public typealias Series = (name: String, color: String, points: [(Int, Double)])

    /// Colours for series in order.
    public static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#333"]

    /// A polyline chart of one or more series; `xLabel` names the x axis at both ends ("step 1 … step 300").
    /// `xTicks` labels those x positions instead of the first and last (`xLabel` N).
    public static func lines(title: String, series: [Series], logY: Bool = false, xLabel: String = "step",
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
            s += "<text x=\"\(left)\" y=\"\(h - 12)\">\(xLabel) \(minX)</text><text x=\"\(w - right)\" y=\"\(h - 12)\" text-anchor=\"end\">\(xLabel) \(maxX)</text>"
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

    /// Horizontal bars, one a row: `label`, a bar proportional to `value` (against `scale`, or the largest
    /// value), and `note` printed after the bar (the value when empty). Labels are HTML-escaped.
    public static func bars(title: String, rows: [(label: String, value: Double, note: String)], scale: Double? = nil,
                            color: String = "#1f77b4") -> String {
        let rows = rows.filter { $0.value.isFinite }
        guard !rows.isEmpty else { return "<p>\(escape(title)): no data</p>" }
        let w = 640.0, rowH = 18.0, top = 22.0, labelW = 170.0, noteW = 110.0
        let h = top + rowH * Double(rows.count) + 6
        let full = max(scale ?? rows.map { abs($0.value) }.max()!, 1e-12)
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(w))\" height=\"\(Int(h))\" font-family=\"sans-serif\" font-size=\"11\">"
        s += "<text x=\"0\" y=\"13\" font-weight=\"bold\">\(escape(title))</text>"
        for (i, r) in rows.enumerated() {
            let y = top + rowH * Double(i)
            let len = (w - labelW - noteW) * min(1, abs(r.value) / full)
            s += "<text x=\"\(labelW - 6)\" y=\"\(y + 12)\" text-anchor=\"end\">\(escape(r.label))</text>"
            s += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"\(color)\"/>", labelW, y + 2, len, rowH - 5)
            let note = r.note.isEmpty ? String(format: "%g", r.value) : r.note
            s += String(format: "<text x=\"%.1f\" y=\"%.1f\">", labelW + len + 4, y + 12) + escape(note) + "</text>"
        }
        return s + "</svg>"
    }

    /// Text made safe for HTML element content and attribute values.
    public static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}

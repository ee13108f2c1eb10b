// PositionChart.swift: the run reports' SVG line chart, for callers outside the trainer (perplexity by
// position in `eval ppl --by-position`).

public enum PositionChart {
    /// An SVG polyline chart of one or more series; x is a position, y a value (log scale with `logY`).
    public static func svg(title: String, series: [(name: String, color: String, points: [(Int, Double)])], logY: Bool = false) -> String {
        Report.svg(title: title, series: series, logY: logY).replacingOccurrences(of: ">step ", with: ">position ")
    }
}

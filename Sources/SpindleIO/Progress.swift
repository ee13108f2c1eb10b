#if canImport(Glibc)
import Glibc
#endif

/// A progress line on stderr — records, MB, MB/s — redrawn at most 4 times a second, and only when
/// stderr is a terminal or `--progress` asked for it (then as plain lines every few seconds).
public final class Progress {
    public let label: String
    private let enabled: Bool
    private let redraw: Bool
    private let start: Double
    private var last: Double
    private var shown = false

    public init(label: String, force: Bool = false) {
        self.label = label
        redraw = StandardError.isTerminal
        enabled = redraw || force
        start = Progress.now()
        last = start
    }

    public static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    public var elapsed: Double { Progress.now() - start }

    /// Cheap to call per record: it reads the clock only every 1024 calls.
    private var calls = 0
    public func update(records: Int, bytes: Int) {
        guard enabled else { return }
        calls &+= 1
        guard calls & 1023 == 0 else { return }
        let t = Progress.now()
        guard t - last >= (redraw ? 0.25 : 5) else { return }
        last = t
        let text = Progress.describe(label: label, records: records, bytes: bytes, seconds: t - start)
        StandardError.write(redraw ? "\r\u{1B}[K" + text : text + "\n")
        shown = true
    }

    /// Clears the progress line (a summary usually follows).
    public func finish() {
        if shown && redraw { StandardError.write("\r\u{1B}[K") }
    }

    public static func describe(label: String, records: Int, bytes: Int, seconds: Double) -> String {
        let mb = Double(bytes) / 1e6
        let rate = seconds > 0 ? mb / seconds : 0
        return "\(label): \(records) records, \(format(mb, 1)) MB, \(format(rate, 1)) MB/s"
    }

    public static func format(_ x: Double, _ digits: Int) -> String {
        var m = 1.0
        for _ in 0..<digits { m *= 10 }
        let r = (x * m).rounded() / m
        var s = "\(r)"
        if digits == 0, s.hasSuffix(".0") { s.removeLast(2) }
        return s
    }
}

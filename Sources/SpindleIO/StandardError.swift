#if canImport(Glibc)
import Glibc
#endif

/// Logs and progress go to standard error, never to standard output (which carries data).
public enum StandardError {
    public static func write(_ text: String) {
        var s = text
        s.withUTF8 { b in _ = Glibc.write(2, b.baseAddress, b.count) }
    }

    public static func line(_ text: String) { write(text + "\n") }

    /// True when stderr is a terminal (progress bars only then).
    public static var isTerminal: Bool { isatty(2) != 0 }
}

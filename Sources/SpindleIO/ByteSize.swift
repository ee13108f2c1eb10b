/// Sizes given on the command line (`--memory-budget 2G`, `--input-size 50G`): one parser for every
/// flag that takes one, so each accepts the same spellings and the same range.
public enum ByteSize {
    /// Units by suffix, longest first so "GB" is not read as "B".
    static let units: [(String, Int)] = [
        ("TB", 1 << 40), ("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10),
        ("T", 1 << 40), ("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10), ("B", 1),
    ]

    /// The largest size accepted: 1 PiB, far above any machine's memory or disk, and safely below
    /// Int overflow once multiplied out.
    public static let maximum = 1 << 50

    /// Bytes for "512M", "2G", "1.5T", "800KB", "100000" (case-insensitive), or nil when the text is
    /// not a size in 1 ... `maximum`.
    public static func parse(_ text: String) -> Int? {
        let u = text.uppercased()
        var number = Substring(u), multiplier = 1
        for (suffix, m) in units where u.hasSuffix(suffix) {
            number = u.dropLast(suffix.count)
            multiplier = m
            break
        }
        if let whole = Int(number) {
            guard whole > 0, whole <= maximum / multiplier else { return nil }
            return whole * multiplier
        }
        guard let v = Double(number), v.isFinite, v > 0, v * Double(multiplier) <= Double(maximum) else { return nil }
        let bytes = Int(v * Double(multiplier))
        return bytes > 0 ? bytes : nil
    }

    /// What `parse` accepts, for error messages.
    public static let expected = "a size in bytes such as 800M, 2G or 1T (K, M, G, T; 1 byte to 1024T)"
}

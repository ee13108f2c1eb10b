import ArgumentParser

/// Range checks for numeric options, run in `validate()` before any work starts: a value out of range
/// is a usage error (64) naming the option, never a trap, a hang or an allocation the machine cannot make.
enum Check {
    /// `value` is at least `min` (and at most `max`).
    static func int(_ name: String, _ value: Int?, min: Int, max: Int = Int.max) throws {
        guard let value else { return }
        guard value >= min && value <= max else {
            throw ValidationError("\(name) \(value) is out of range (\(min)\(max == .max ? " or more" : " … \(max)"))")
        }
    }

    /// `value` is a finite number in `lo … hi`; `openLow` / `openHigh` exclude the bound itself.
    static func real<F: BinaryFloatingPoint>(_ name: String, _ value: F?, _ lo: F, _ hi: F = .infinity,
                                              openLow: Bool = false, openHigh: Bool = false) throws {
        guard let value else { return }
        let aboveLow = openLow ? value > lo : value >= lo
        let belowHigh = openHigh ? value < hi : value <= hi
        guard value.isFinite, aboveLow, belowHigh else {
            let range = "\(openLow ? "(" : "[")\(lo), \(hi == .infinity ? "∞" : "\(hi)")\(openHigh || hi == .infinity ? ")" : "]")"
            throw ValidationError("\(name) \(value) is out of range: expected a finite number in \(range)")
        }
    }

    /// Thread counts: 1 … 256.
    static func threads(_ value: Int?, name: String = "--threads") throws { try int(name, value, min: 1, max: 256) }
}

import SpindleIO

// The records the packers consume, as plain values. The CLI builds them from SpindleIO's JSONL records
// (`Document`, `SFTExample`, `PreferencePair`); tests build them directly.

// The message, dialogue, aspect and safety-label types are SpindleIO's records; the names below keep the
// packers' vocabulary.
public typealias ChatRole = Message.Role
public typealias ChatMessage = Message
public typealias Dialogue = SFTExample

/// How much better the chosen answer is (Llama 2 §3.2.1), ordered from closest to most distinct.
/// The raw value is what the `margin_degree` column stores.
public enum PreferenceDegree: Int, Sendable, CaseIterable, Comparable {
    case negligiblyBetter = 0, slightlyBetter = 1, better = 2, significantlyBetter = 3

    /// The record spelling: "significantly_better", "better", "slightly_better", "negligibly_better"
    /// (also "unsure", which Llama 2 groups with negligibly better).
    public init?(label: String) {
        switch label {
        case "significantly_better": self = .significantlyBetter
        case "better": self = .better
        case "slightly_better": self = .slightlyBetter
        case "negligibly_better", "unsure", "negligibly_better_unsure": self = .negligiblyBetter
        default: return nil
        }
    }

    public var label: String {
        switch self {
        case .significantlyBetter: return "significantly_better"
        case .better: return "better"
        case .slightlyBetter: return "slightly_better"
        case .negligiblyBetter: return "negligibly_better"
        }
    }

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }

    /// The column value of a record's degree.
    public init(_ d: PreferencePair.Degree) { self = PreferenceDegree(label: d.rawValue)! }

    /// The record's degree for this column value.
    public var pairDegree: PreferencePair.Degree { PreferencePair.Degree(rawValue: label)! }

    /// The reward-model margin m(degree) of Llama 2 Table 27: small (1, 2/3, 1/3, 0) or large (3, 2, 1, 0),
    /// used as L = -log(sigmoid(r_chosen - r_rejected - m)).
    public func margin(large: Bool = false) -> Float {
        large ? Float(rawValue) : Float(rawValue) / 3
    }
}

public typealias PreferenceAspect = PreferencePair.Aspect
public typealias SafetyLabel = PreferencePair.Safety

/// A graded preference pair is SpindleIO's `PreferencePair`; `PreferenceDegree(pair.degree)` is its column value.
public typealias PreferenceExample = PreferencePair

// The records the packers consume, as plain values. The CLI builds them from SpindleIO's JSONL records
// (`Document`, `SFTExample`, `PreferencePair`); tests build them directly.

/// Who speaks a message.
public enum ChatRole: String, Sendable, Equatable {
    case system, user, assistant
}

/// One message of a dialogue.
public struct ChatMessage: Sendable, Equatable {
    public var role: ChatRole
    public var content: String
    public init(_ role: ChatRole, _ content: String) {
        self.role = role
        self.content = content
    }
}

/// An SFT example: `{"id", "messages": [{"role", "content"}]}`.
public struct Dialogue: Sendable, Equatable {
    public var id: String
    public var messages: [ChatMessage]
    public init(id: String, messages: [ChatMessage]) {
        self.id = id
        self.messages = messages
    }
}

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

    /// The reward-model margin m(degree) of Llama 2 Table 27: small (1, 2/3, 1/3, 0) or large (3, 2, 1, 0),
    /// used as L = -log(sigmoid(r_chosen - r_rejected - m)).
    public func margin(large: Bool = false) -> Float {
        large ? Float(rawValue) : Float(rawValue) / 3
    }
}

/// Which reward model a comparison trains (Llama 2 judges helpfulness and safety separately).
public enum PreferenceAspect: String, Sendable, CaseIterable {
    case helpfulness, safety
}

/// The safety label of a safety comparison (Llama 2 §3.2.1). No pair has an unsafe chosen and a safe
/// rejected answer, so there is no fourth case.
public enum SafetyLabel: String, Sendable, CaseIterable {
    case chosenOnlySafe = "chosen_only_safe", bothSafe = "both_safe", bothUnsafe = "both_unsafe"
}

/// A graded preference pair: `{"id", "prompt": messages, "chosen", "rejected", "degree", "aspect", "safety"}`.
public struct PreferenceExample: Sendable, Equatable {
    public var id: String
    /// The conversation so far, ending with the user turn both answers reply to.
    public var prompt: [ChatMessage]
    public var chosen: String
    public var rejected: String
    public var degree: PreferenceDegree
    public var aspect: PreferenceAspect
    public var safety: SafetyLabel?

    public init(id: String, prompt: [ChatMessage], chosen: String, rejected: String,
                degree: PreferenceDegree, aspect: PreferenceAspect, safety: SafetyLabel? = nil) {
        self.id = id
        self.prompt = prompt
        self.chosen = chosen
        self.rejected = rejected
        self.degree = degree
        self.aspect = aspect
        self.safety = safety
    }
}

/// A graded preference comparison (Llama 2 §3.2.1): a prompt dialogue, the chosen and the rejected
/// response, how much better the chosen one is, which aim was judged, and the safety label.
public struct PreferencePair: JSONRecord, Equatable {
    /// The annotator's graded degree; it picks the margin in the reward-model loss.
    public enum Degree: String, Sendable, CaseIterable {
        case significantlyBetter = "significantly_better"
        case better
        case slightlyBetter = "slightly_better"
        case negligiblyBetter = "negligibly_better"
    }

    public enum Aspect: String, Sendable, CaseIterable { case helpfulness, safety }

    /// Safety label of a comparison (Llama 2 §3.2.1): an unsafe chosen with a safe rejected never occurs.
    public enum Safety: String, Sendable, CaseIterable {
        case chosenOnlySafe = "chosen_only_safe"
        case bothSafe = "both_safe"
        case bothUnsafe = "both_unsafe"
    }

    public var id: String
    public var prompt: [Message]
    public var chosen: String
    public var rejected: String
    public var degree: Degree
    public var aspect: Aspect
    public var safety: Safety?
    public var extra: [RawField]

    public init(id: String, prompt: [Message], chosen: String, rejected: String, degree: Degree,
                aspect: Aspect, safety: Safety? = nil, extra: [RawField] = []) {
        self.id = id
        self.prompt = prompt
        self.chosen = chosen
        self.rejected = rejected
        self.degree = degree
        self.aspect = aspect
        self.safety = safety
        self.extra = extra
    }

    public init(json: JSONLine) throws(InputError) {
        id = try json.requiredString("id")
        guard let p = try json.value("prompt") else {
            throw InputError(.missingField, file: "", field: "prompt", "required array of messages is missing")
        }
        prompt = try Message.parseList(p, field: "prompt")
        try SFTExample.validateTurns(prompt, field: "prompt", mustEndWithAssistant: false)
        guard prompt.last?.role == .user else {
            throw InputError(.invalidValue, file: "", field: "prompt", "the prompt must end with a user turn")
        }
        chosen = try json.requiredString("chosen")
        rejected = try json.requiredString("rejected")
        let d = try json.requiredString("degree")
        guard let degree = Degree(rawValue: d) else {
            throw InputError(.invalidValue, file: "", field: "degree",
                             "unknown degree '\(d)' (expected \(Degree.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        self.degree = degree
        let a = try json.requiredString("aspect")
        guard let aspect = Aspect(rawValue: a) else {
            throw InputError(.invalidValue, file: "", field: "aspect", "unknown aspect '\(a)' (expected helpfulness or safety)")
        }
        self.aspect = aspect
        if let s = try json.string("safety") {
            guard let safety = Safety(rawValue: s) else {
                throw InputError(.invalidValue, file: "", field: "safety",
                                 "unknown safety label '\(s)' (expected \(Safety.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            self.safety = safety
        } else {
            safety = nil
        }
        extra = json.otherFields(excluding: ["id", "prompt", "chosen", "rejected", "degree", "aspect", "safety"])
    }

    public func jsonLine() -> [UInt8] {
        var w = JSONObjectWriter()
        w.string("id", id)
        w.value("prompt", prompt.json)
        w.string("chosen", chosen)
        w.string("rejected", rejected)
        w.string("degree", degree.rawValue)
        w.string("aspect", aspect.rawValue)
        if let safety { w.string("safety", safety.rawValue) }
        w.fields(extra)
        return w.finishLine()
    }
}

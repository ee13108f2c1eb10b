import SpindleIO

// The packers' inputs from SpindleIO's JSONL records (messages, dialogues, aspects and safety labels are
// SpindleIO's own types; only the degree becomes the ordered column value).

extension PreferenceExample {
    /// A preference record `{"id", "prompt", "chosen", "rejected", "degree", "aspect", "safety"}`.
    public init(_ p: PreferencePair) {
        self.init(id: p.id, prompt: p.prompt, chosen: p.chosen, rejected: p.rejected,
                  degree: PreferenceDegree(label: p.degree.rawValue)!, aspect: p.aspect, safety: p.safety)
    }
}

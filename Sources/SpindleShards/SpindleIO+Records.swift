import SpindleIO

// The packers' inputs from SpindleIO's JSONL records.

extension ChatMessage {
    public init(_ m: Message) {
        self.init(ChatRole(rawValue: m.role.rawValue)!, m.content)
    }
}

extension Dialogue {
    /// An SFT record `{"id", "messages"}`.
    public init(_ e: SFTExample) {
        self.init(id: e.id, messages: e.messages.map(ChatMessage.init))
    }
}

extension PreferenceExample {
    /// A preference record `{"id", "prompt", "chosen", "rejected", "degree", "aspect", "safety"}`.
    public init(_ p: PreferencePair) {
        self.init(id: p.id, prompt: p.prompt.map(ChatMessage.init), chosen: p.chosen, rejected: p.rejected,
                  degree: PreferenceDegree(label: p.degree.rawValue)!,
                  aspect: PreferenceAspect(rawValue: p.aspect.rawValue)!,
                  safety: p.safety.map { SafetyLabel(rawValue: $0.rawValue)! })
    }
}

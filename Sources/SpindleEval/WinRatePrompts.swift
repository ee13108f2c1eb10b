// WinRatePrompts.swift: held-out prompts for `eval winrate` from JSON Lines: `prompt` as a string, or
// as chat messages ({role, content}; the last user turn is asked, as preference pairs store prompts);
// `safety` (boolean, optional) or a preference pair's `aspect: "safety"` marks a safety prompt. A malformed row is FILE:LINE: field: reason.
import SpindleIO

public enum WinRatePrompts {
    public static func read(_ path: String, limit: Int?) throws -> [(text: String, isSafety: Bool)] {
        let rows = try EvalRows.read(path).prefix(limit ?? .max)
        guard !rows.isEmpty else { throw InputError(.format, file: path, "no prompts") }
        return try rows.map { row in
            let v = row.value
            guard let p = v["prompt"] else { throw InputError(.missingField, file: path, line: row.line, field: "prompt", "a string or chat messages are required") }
            var text: String? = p.stringValue
            if text == nil, let msgs = p.arrayValue {
                text = msgs.last { $0["role"]?.stringValue == "user" }?["content"]?.stringValue
            }
            guard let text, !text.isEmpty else {
                throw InputError(.invalidValue, file: path, line: row.line, field: "prompt", "neither a non-empty string nor messages with a user turn")
            }
            var safety = v["aspect"]?.stringValue == "safety"   // a preference pair's aspect
            if let s = v["safety"], s.stringValue == nil, s != .null {   // (a pair's `safety` string is its labels, not this)
                guard let b = s.boolValue else { throw InputError(.wrongType, file: path, line: row.line, field: "safety", "expected a boolean, found \(s.typeName)") }
                safety = b
            }
            return (text, safety)
        }
    }
}

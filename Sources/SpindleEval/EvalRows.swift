// EvalRows.swift: benchmark rows from JSON Lines (.gz/.zst recognised by their magic numbers), made
// into documents by a task's template; a row that does not fit is an InputError at FILE:LINE: field.
import SpindleIO

public enum EvalRows {
    /// Every non-blank line of `path` as a JSON value, with its line number.
    public static func read(_ path: String) throws -> [(value: JSONValue, line: Int)] {
        let reader = try LineReader(path: path)
        var rows: [(JSONValue, Int)] = []
        while let line = try reader.next() {
            if line.bytes.allSatisfy({ $0 == 32 || $0 == 9 || $0 == 13 }) { continue }
            do { rows.append((try JSONValue.parse(line.bytes), line.number)) } catch {
                throw InputError(.invalidJSON, file: reader.name, line: line.number, "\(error)")
            }
        }
        return rows
    }

    /// The rows of `path` rendered by `task`.
    public static func documents(_ path: String, task: HarnessTask) throws -> [ChoiceDoc] {
        try read(path).map { row in
            do throws(DocError) {
                var d = try task.render(row.value)
                d.line = row.line
                d.row = row.value
                guard d.choices.indices.contains(d.gold) else {
                    throw DocError(field: "label", reason: "gold choice \(d.gold) is not one of the \(d.choices.count) choices")
                }
                return d
            } catch {
                throw InputError(.invalidValue, file: path, line: row.line, field: error.field, error.reason)
            }
        }
    }

    /// `--limit N`: the first N documents, per subtask when the task is a group (the harness limits
    /// each of mmlu's 57 tasks).
    public static func limit(_ docs: [ChoiceDoc], to n: Int?) -> [ChoiceDoc] {
        guard let n else { return docs }
        var taken: [String: Int] = [:]
        return docs.filter { d in
            let k = d.subtask ?? ""
            taken[k, default: 0] += 1
            return taken[k]! <= n
        }
    }
}

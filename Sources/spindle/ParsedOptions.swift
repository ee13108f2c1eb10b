import ArgumentParser
import SpindleIO

/// A command's parsed options as JSON, for `--print-config`: each `@Option`, `@Flag` and `@Argument`
/// under its snake_case name, option groups flattened in. Read through `Mirror`, so a new flag shows
/// up without anyone keeping a list in step.
enum ParsedOptions {
    static func json(of command: Any) -> JSONValue { .object(members(of: command)) }


    static func members(of command: Any) -> [(String, JSONValue)] {
        var out: [(String, JSONValue)] = []
        for child in Mirror(reflecting: command).children {
            guard let label = child.label, label.hasPrefix("_"), let wrapper = child.value as? ParsedProperty else { continue }
            let parsed = wrapper.parsedValue
            if parsed is ConfigOptions || parsed is OverwriteOption { continue }
            if wrapper.isGroup { out += members(of: parsed); continue }
            out.append((snakeCase(String(label.dropFirst())), value(parsed)))
        }
        return out
    }

    /// trainData -> train_data, maxNewTokens -> max_new_tokens.
    static func snakeCase(_ name: String) -> String {
        var s = ""
        for c in name {
            if c.isUppercase { s += "_" + c.lowercased() } else { s.append(c) }
        }
        return s
    }

    static func value(_ value: Any) -> JSONValue {
        let mirror = Mirror(reflecting: value)
        if mirror.displayStyle == .optional {
            guard let wrapped = mirror.children.first?.value else { return .null }
            return self.value(wrapped)
        }
        switch value {
        case let b as Bool: return .bool(b)
        case let s as String: return .string(s)
        case let i as Int: return JSONValue(i)
        case let d as Double: return JSONValue(d)
        case let f as Float: return f.isFinite ? .number("\(f)") : .null
        case let u as UInt64: return .number(String(u))
        case let i as any BinaryInteger: return .number(String(describing: i))
        case let a as [Any]: return .array(a.map { self.value($0) })
        case let r as any RawRepresentable: return rawJSON(r)
        default: return .string(String(describing: value))
        }
    }

    static func rawJSON<R: RawRepresentable>(_ r: R) -> JSONValue {
        if let s = r.rawValue as? String { return .string(s) }
        return value(r.rawValue)
    }
}

/// ArgumentParser's property wrappers, read through their public `wrappedValue`.
protocol ParsedProperty {
    var parsedValue: Any { get }
    var isGroup: Bool { get }
}

extension ParsedProperty {
    var isGroup: Bool { false }
}

extension Option: ParsedProperty { var parsedValue: Any { wrappedValue } }
extension Flag: ParsedProperty { var parsedValue: Any { wrappedValue } }
extension Argument: ParsedProperty { var parsedValue: Any { wrappedValue } }
extension OptionGroup: ParsedProperty {
    var parsedValue: Any { wrappedValue }
    var isGroup: Bool { true }
}

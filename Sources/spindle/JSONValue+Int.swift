import SpindleIO

// Integration shim: PackCommand (branch shards) builds manifest values with `.int(_:)`, which
// SpindleIO's JSONValue spells `.number(String)`. Remove once the shards branch is updated.
extension JSONValue {
    static func int(_ v: Int64) -> JSONValue { .number(String(v)) }
}

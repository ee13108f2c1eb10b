import Testing
@testable import SpindleStages

/// What the PII test suites ask of the scanner: the (type, matched text) spans of a sentence, and the
/// two expectations every case is written with.
protocol PIIProbe {
    var scanner: PIIScanner { get }
}

extension PIIProbe {
    func spans(_ s: String) -> [(PIIType, String)] {
        let bytes = Array(s.utf8)
        return scanner.scan(s).map { ($0.type, String(decoding: bytes[$0.byteStart..<$0.byteEnd], as: UTF8.self)) }
    }

    /// Exactly one span, of `type`, matching `match`.
    func expectOne(_ text: String, _ type: PIIType, _ match: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let got = spans(text)
        #expect(got.count == 1 && got.first?.0 == type && got.first?.1 == match,
                "\(text.debugDescription): got \(got)", sourceLocation: sourceLocation)
    }

    /// No span at all.
    func expectNone(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let got = spans(text)
        #expect(got.isEmpty, "\(text.debugDescription): got \(got)", sourceLocation: sourceLocation)
    }
}

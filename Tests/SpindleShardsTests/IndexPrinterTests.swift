// index.json is a JSONValue printed in the Python layout: the printer reproduces MosaicML streaming's
// own index.json (StreamingGolden.swift) byte for byte from the parsed value and from MDSIndex.
import Foundation
import Testing
import SpindleIO
@testable import SpindleShards

@Suite("Index printer")
struct IndexPrinterTests {
    static let golden = streamingGoldenIndex.trimmingCharacters(in: .whitespacesAndNewlines)

    @Test func goldenIndexParsesAndPrintsBackExactly() throws {
        let v = try JSONValue.parse(Self.golden)
        #expect(v.pythonDumps() == Self.golden)
        // Reordered members print the same: the printer sorts keys as sort_keys=True does.
        guard case .object(let members) = v else { Issue.record("not an object"); return }
        #expect(JSONValue.object(members.reversed()).pythonDumps() == Self.golden)
    }

    @Test func mdsIndexRoundTripsTheGolden() throws {
        let index = try MDSIndex.parse(Array(Self.golden.utf8), path: "index.json")
        #expect(index.dumps() == Self.golden)
    }

    @Test func duplicateKeysInAnIndexAreRefused() {
        #expect(throws: ShardError.self) { try MDSIndex.parse(Array(#"{"version": 2, "version": 2, "shards": []}"#.utf8), path: "index.json") }
    }
}

// spindle-ray on a real two-node Ray cluster on loopback (integrations/ray/tests/cluster_test.py):
// ingest -> dedup --near -> pii -> upsample against the same pipes on one machine, over shards built
// from ../shared/data; a Ray worker is killed mid-reduce once and the output must not change.
import Foundation
import Testing
import SpindleTestSupport

@Suite(.requires(.spindleBinary, .sharedData("pretrain/en/c4_demo.jsonl"), .python("ray"), .tool("zstd")))
struct RayClusterTests {
    @Test(.timeLimit(.minutes(10))) func twoNodeClusterKeepsWhatOneMachineKeeps() throws {
        let dir = TempDir("ray-cluster"); defer { dir.cleanup() }
        let script = TestPaths.packageRoot + "/integrations/ray/tests/cluster_test.py"
        let r = try Python.run([script, SpindleBinary.path, TestPaths.shared + "/data", dir.path])
        #expect(r.status == 0, "\(r.output.suffix(4000))")
        #expect(r.stdout.contains("killed worker pid") && !r.stdout.contains("killed worker pid None"), "\(r.stdout)")
    }
}

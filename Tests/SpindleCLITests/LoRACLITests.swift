import Foundation
import Testing
import SpindleTestSupport

/// LoRA on the command line where it is not supported: a usage error (64) that says what works instead,
/// before any input is read.
@Suite(.requires(.spindleBinary)) struct LoRACLITests {
    @Test(arguments: [
        ["train", "ppo", "--init", "/nonexistent/a", "--prompts", "/nonexistent/p", "--helpfulness-rm", "/nonexistent/r", "-o", "/nonexistent/o"],
        ["train", "rejection", "--init", "/nonexistent/a", "--prompts", "/nonexistent/p", "--helpfulness-rm", "/nonexistent/r", "-o", "/nonexistent/o"],
    ])
    func policyStagesRefuseLoRA(args: [String]) throws {
        let r = try CLI.run(args + ["--lora-rank", "8"])
        #expect(r.status == 64, "\(r.stderr)")
        #expect(r.stderr.contains("does not train LoRA adapters") && r.stderr.contains("spindle lora merge"))
    }

    @Test func rewardModelLoRANeedsATrunk() throws {
        let r = try CLI.run(["train", "rm", "--train-data", "/nonexistent/d", "-o", "/nonexistent/o", "--lora-rank", "8"])
        #expect(r.status == 64 && r.stderr.contains("pass --init"), "\(r.stderr)")
    }
}

import ArgumentParser
import SpindleTrainer

/// `--lora-rank r --lora-alpha a --lora-dropout p --lora-targets q,v`: train low-rank adapters on the
/// frozen base instead of every weight (docs/ADAPT.md). Shared by the training commands that take --init.
struct LoRAOptions: ParsableArguments {
    @Option(name: .customLong("lora-rank"), help: "Train LoRA adapters of this rank on the frozen --init model (PEFT's r).")
    var rank: Int?

    @Option(name: .customLong("lora-alpha"), help: "LoRA alpha: adapters are scaled by alpha/rank (default 2 x rank).")
    var alpha: Float?

    @Option(name: .customLong("lora-dropout"), help: "Dropout on the adapters' input while training (default 0).")
    var dropout: Float = 0

    @Option(name: .customLong("lora-targets"), help: "Projections that get adapters: q,k,v,o,gate,up,down or all (default q,v).")
    var targets = "q,v"

    func validate() throws {
        guard rank != nil || (alpha == nil && dropout == 0 && targets == "q,v") else {
            throw ValidationError("--lora-alpha, --lora-dropout and --lora-targets need --lora-rank")
        }
        try Check.int("--lora-rank", rank, min: 1, max: 65536)
        if let alpha { try Check.real("--lora-alpha", Double(alpha), 0, 1e6, openLow: true) }
        try Check.real("--lora-dropout", dropout, 0, 1, openHigh: true)
        do { _ = try LoRATarget.parseList(targets) } catch { throw ValidationError("--lora-targets: \(error)") }
    }

    /// The adapter settings, or nil without --lora-rank (full fine-tuning).
    var settings: LoRASettings? {
        get throws {
            guard let rank else { return nil }
            return LoRASettings(rank: rank, alpha: alpha ?? Float(2 * rank), dropout: dropout, targets: try LoRATarget.parseList(targets))
        }
    }

    /// For the commands that do not train adapters (hidden there): `--lora-rank` is a usage error (exit 64)
    /// saying why and what works instead.
    func refuse(command: String, why: String) throws {
        guard rank == nil else {
            throw ValidationError("--lora-rank: \(command) does not train LoRA adapters (\(why)). Train the policy with " +
                                  "`spindle train sft --lora-rank` and pass its adapter directory as --init (merged on load), " +
                                  "or fold it with `spindle lora merge`; reward-model adapters from `train rm --lora-rank` are read merged too")
        }
    }
}

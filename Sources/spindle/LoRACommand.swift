import ArgumentParser
import Foundation
import SpindleIO
import SpindleTrainer

/// `spindle lora`: LoRA adapters (PEFT's format) outside training.
struct LoRACommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lora", abstract: "Work with LoRA adapters: fold one into its base checkpoint.",
        subcommands: [LoRAMerge.self])
}

struct LoRAMerge: Configurable {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Fold a LoRA adapter into its base: a full HF checkpoint with W += (alpha/r)·B·A.",
        discussion: """
        --adapter is a PEFT adapter directory (adapter_config.json + adapter_model.safetensors), written by
        `spindle train sft|pretrain|dpo|rm --lora-rank` or by peft's save_pretrained; --checkpoint is the base it
        was trained on (default: the adapter's base_model_name_or_path). The output is what peft's
        merge_and_unload() gives, saved as Spindle saves every checkpoint (config.json + model.safetensors,
        switched in whole); it is refused when it exists, unless --overwrite. A reward model's adapter
        (task_type SEQ_CLS) gives a LlamaForSequenceClassification checkpoint with its trained score head.

        examples:
          spindle lora merge --checkpoint runs/pretrain/checkpoint --adapter runs/sft-lora/checkpoint -o runs/sft-merged
          spindle lora merge --adapter runs/rm-lora/checkpoint -o runs/rm-merged
        """)

    @Option(help: "Base checkpoint directory (default: the adapter's base_model_name_or_path).") var checkpoint: String?
    @Option(help: "LoRA adapter directory (PEFT format).") var adapter: String
    @Option(name: [.short, .long], help: "Output checkpoint directory.") var output: String
    @Flag(help: "Replace a directory already at --output.") var overwrite = false
    @OptionGroup var config: ConfigOptions

    func validate() throws {
        let out = URL(fileURLWithPath: output).standardized
        for input in [checkpoint, adapter].compactMap({ $0 }) where URL(fileURLWithPath: input).standardized == out {
            throw ValidationError("--output must differ from --checkpoint and --adapter")
        }
    }

    func run() throws {
        BLASBackend.prepareProcess()
        let base = try checkpoint ?? LoRACheckpoint.baseModel(of: adapter)
        let model = try LoRACheckpoint.mergeCheckpoint(base: base, adapter: adapter, output: output, overwrite: overwrite)
        StandardError.line("spindle lora merge: \(adapter) into \(base) (\(model.config.nLayers) layers) -> \(output)")
    }
}

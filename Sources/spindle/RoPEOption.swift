import ArgumentParser
import SpindleTrainer

/// Checks a `--rope-scaling TYPE:FACTOR` value in `validate()`: a bad one is a usage error (64).
func checkRoPEScaling(_ value: String?) throws {
    guard let value else { return }
    do { _ = try RoPEScaling(argument: value) } catch { throw ValidationError("\(error)") }
}

// Schedule.swift: learning rate — linear warm-up, then cosine decay to a floor (Llama 2: 10% of peak).
import Foundation

/// Cosine learning-rate schedule with linear warm-up and a floor.
public struct CosineSchedule: Equatable, Sendable {
    public var peak: Float
    public var warmupSteps: Int
    public var totalSteps: Int
    /// Final lr as a fraction of the peak (0.1 in Llama 2).
    public var floorRatio: Float = 0.1

    public init(peak: Float, warmupSteps: Int, totalSteps: Int, floorRatio: Float = 0.1) {
        self.peak = peak; self.warmupSteps = warmupSteps; self.totalSteps = totalSteps; self.floorRatio = floorRatio
    }

    /// lr for optimiser step `step` (0-based): peak·(step+1)/warmup during warm-up, then
    /// floor + (peak − floor)·½(1 + cos(π·progress)), and the floor after `totalSteps`.
    public func lr(at step: Int) -> Float {
        if step < warmupSteps { return peak * Float(step + 1) / Float(warmupSteps) }
        let floor = peak * floorRatio
        let span = max(1, totalSteps - warmupSteps)
        let progress = min(1, Double(step - warmupSteps) / Double(span))
        return floor + (peak - floor) * Float(0.5 * (1 + cos(Double.pi * progress)))
    }
}

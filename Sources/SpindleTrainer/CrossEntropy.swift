// CrossEntropy.swift: masked next-token cross-entropy, fused with its gradient.
import Foundation
import SpindleIO

/// For each row r with targets[r] >= 0: loss_r = logsumexp(logits_r) − logits_r[target]; the row of
/// `logits` [n, vocab] is overwritten with scale · (softmax − onehot). Rows with target < 0 are
/// ignored (gradient 0). Returns Σ loss_r in Double, summed in a fixed order.
/// `lossPerRow` [n] receives each row's loss (0 for ignored rows).
func crossEntropyForwardBackward(_ par: Parallel, _ logits: FPtr, targets: UnsafePointer<Int32>, n: Int, vocab: Int, scale: Float,
                                 lossPerRow: FPtr, writeGradient: Bool = true) -> Double {
    par.ranges(n, grain: 8) { rows in
        for r in rows {
            let l = logits + r * vocab
            let t = Int(targets[r])
            if t < 0 {
                lossPerRow[r] = 0
                if writeGradient { l.update(repeating: 0, count: vocab) }
                continue
            }
            let mx = maxOf(l, vocab)
            let target = l[t]
            if writeGradient {
                let sum = expShiftSum(l, l, vocab, shift: mx)      // l ← exp(l − max)
                lossPerRow[r] = mx + logf(sum) - target
                SpindleTrainer.scale(l, vocab, by: scale / sum)    // softmax · scale
                l[t] -= scale
            } else {
                lossPerRow[r] = mx + logf(sumExp(l, vocab, shift: mx)) - target
            }
        }
    }
    var total = 0.0
    for r in 0..<n { total += Double(lossPerRow[r]) }
    return total
}

/// log p(target) of each row of logits [n, vocab] (no gradient); rows with target < 0 get 0.
func logProbs(_ par: Parallel, _ logits: CFPtr, targets: UnsafePointer<Int32>, n: Int, vocab: Int, out: FPtr) {
    par.ranges(n, grain: 8) { rows in
        for r in rows {
            let t = Int(targets[r])
            if t < 0 { out[r] = 0; continue }
            let l = logits + r * vocab
            let mx = maxOf(l, vocab)
            out[r] = l[t] - mx - logf(sumExp(l, vocab, shift: mx))
        }
    }
}

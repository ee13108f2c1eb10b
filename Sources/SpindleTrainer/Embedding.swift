// Embedding.swift: token embedding lookup (no sqrt(dim) scaling, as in Llama).

/// x[n, d] = E[tokens[i], :].
func embeddingForward(_ e: CFPtr, tokens: UnsafePointer<Int32>, _ x: FPtr, n: Int, d: Int) {
    for i in 0..<n { (x + i * d).update(from: e + Int(tokens[i]) * d, count: d) }
}

/// dE[tokens[i], :] += dx[i, :]  (serial: repeated tokens add in a fixed order).
func embeddingBackward(_ dx: CFPtr, tokens: UnsafePointer<Int32>, dE: FPtr, n: Int, d: Int) {
    for i in 0..<n { axpy(1, dx + i * d, dE + Int(tokens[i]) * d, d) }
}

#!/usr/bin/env python3
"""Writes a random llama2.c checkpoint (legacy v0 layout, untied classifier) and a matching dummy
tokenizer.bin, so llama2.c's run.c and `spindle generate --checkpoint` can be timed on the same weights.
usage: llama2c_model.py OUT_DIR [--dim 288 --layers 6 --heads 6 --hidden 768 --vocab 32000 --seq 256]
Writes OUT_DIR/model.bin and OUT_DIR/tokenizer.bin. Needs numpy. Benchmark helper only."""
import argparse, os, struct
import numpy as np

ap = argparse.ArgumentParser()
ap.add_argument("out")
ap.add_argument("--dim", type=int, default=288); ap.add_argument("--layers", type=int, default=6)
ap.add_argument("--heads", type=int, default=6); ap.add_argument("--hidden", type=int, default=768)
ap.add_argument("--vocab", type=int, default=32000); ap.add_argument("--seq", type=int, default=256)
a = ap.parse_args()
os.makedirs(a.out, exist_ok=True)
rng = np.random.default_rng(0)
d, L, h, hd, V, S = a.dim, a.layers, a.heads, a.dim // a.heads, a.vocab, a.seq

def w(*shape, std=0.02):
    return (rng.standard_normal(shape, dtype=np.float32) * std).astype(np.float32)

with open(os.path.join(a.out, "model.bin"), "wb") as f:
    # v0 header; a negative vocab size means the classifier is stored separately (untied).
    f.write(struct.pack("7i", d, a.hidden, L, h, h, -V, S))
    for t in [w(V, d), np.ones((L, d), np.float32), w(L, d, d), w(L, d, d), w(L, d, d), w(L, d, d),
              np.ones((L, d), np.float32), w(L, a.hidden, d), w(L, d, a.hidden), w(L, a.hidden, d),
              np.ones(d, np.float32)]:
        f.write(t.tobytes())
    freqs = 1.0 / (10000.0 ** (np.arange(0, hd, 2, dtype=np.float32) / hd))
    ang = np.outer(np.arange(S, dtype=np.float32), freqs)
    f.write(np.cos(ang).astype(np.float32).tobytes()); f.write(np.sin(ang).astype(np.float32).tobytes())
    f.write(w(V, d).tobytes())

with open(os.path.join(a.out, "tokenizer.bin"), "wb") as f:
    pieces = [b"<t%d>" % i for i in range(V)]
    f.write(struct.pack("i", max(map(len, pieces))))
    for p in pieces:
        f.write(struct.pack("fi", 0.0, len(p))); f.write(p)

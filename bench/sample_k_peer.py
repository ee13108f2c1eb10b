#!/usr/bin/env python3
"""transformers side of Spindle's K-samples-per-prompt benchmark (optional; needs torch + transformers).

  sample_k_peer.py CKPT_DIR PROMPTS.ids K MAX_NEW THREADS [TEMPERATURE TOP_P]

CKPT_DIR: a Spindle checkpoint (HF layout, loads in LlamaForCausalLM). PROMPTS.ids: token ids, one
prompt per line (the file `spindle generate --prompts` reads). For each prompt, one call of
generate(num_return_sequences=K, do_sample=True) with exactly MAX_NEW new tokens (min_new_tokens =
max_new_tokens: the end-of-sequence token cannot end a row early, so every row does the same work),
top_k off (Spindle has no top-k), the given temperature and top_p, fp32, torch.set_num_threads(THREADS).
A warm-up call on the first prompt is not timed. Prints `tokens/s: X` (new tokens over wall seconds).
"""
import sys
import time

import torch
from transformers import LlamaForCausalLM

ckpt, prompts_path = sys.argv[1], sys.argv[2]
k, max_new, threads = map(int, sys.argv[3:6])
temperature = float(sys.argv[6]) if len(sys.argv) > 6 else 1.0
top_p = float(sys.argv[7]) if len(sys.argv) > 7 else 1.0
torch.set_num_threads(threads)
torch.manual_seed(0)
prompts = [[int(t) for t in line.split()] for line in open(prompts_path) if line.strip()]
model = LlamaForCausalLM.from_pretrained(ckpt, torch_dtype=torch.float32)
model.eval()


def run(prompt):
    ids = torch.tensor([prompt], dtype=torch.long)
    out = model.generate(ids, attention_mask=torch.ones_like(ids), do_sample=True, num_return_sequences=k,
                         max_new_tokens=max_new, min_new_tokens=max_new, temperature=temperature, top_p=top_p,
                         top_k=0, pad_token_id=0)
    return (out.shape[1] - len(prompt)) * out.shape[0]


with torch.inference_mode():
    run(prompts[0][:4])
    t0 = time.perf_counter()
    tokens = sum(run(p) for p in prompts)
    secs = time.perf_counter() - t0
print(f"generated {tokens} tokens ({len(prompts)} prompts x {k} samples) in {secs:.3f} s", file=sys.stderr)
print(f"tokens/s: {tokens / secs:.1f}")

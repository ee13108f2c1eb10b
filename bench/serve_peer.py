#!/usr/bin/env python3
"""transformers side of Spindle's serving benchmark: one request at a time, the loop a user would script.

  serve_peer.py CKPT_DIR TOKENIZER.model REQUESTS CLIENTS MAX_TOKENS THREADS PROMPTS.txt

Renders request i (line i of PROMPTS.txt, cycled) with the Llama 2 chat template as Spindle does
(`<s>[INST] {user} [/INST]`, SentencePiece), then LlamaForCausalLM.generate(do_sample=True,
temperature 0.8, top_p 0.95, top_k off, max_new_tokens=MAX_TOKENS), fp32, torch.set_num_threads(THREADS),
one request after another (an untimed warm-up first). Prints requests/s and tokens/s over the sum of the
generation times, and the p50/p99 latency the same CLIENTS closed-loop clients would see queued in front
of this one-at-a-time server (FIFO, always busy: request j's latency is the sum of the service times of
requests j-CLIENTS+1 … j), computed from the measured per-request times.
"""
import sys
import time

import sentencepiece as spm
import torch
from transformers import LlamaForCausalLM

ckpt, tok_path = sys.argv[1], sys.argv[2]
total, clients, max_tokens, threads = map(int, sys.argv[3:7])
prompts = [line.strip() for line in open(sys.argv[7]) if line.strip()]
torch.set_num_threads(threads)
torch.manual_seed(0)
sp = spm.SentencePieceProcessor(model_file=tok_path)
model = LlamaForCausalLM.from_pretrained(ckpt, torch_dtype=torch.float32)
model.eval()


def run(text):
    ids = torch.tensor([[1] + sp.encode(f"[INST] {text} [/INST]")], dtype=torch.long)
    out = model.generate(ids, attention_mask=torch.ones_like(ids), do_sample=True, temperature=0.8, top_p=0.95, top_k=0,
                         max_new_tokens=max_tokens, pad_token_id=0)
    return out.shape[1] - ids.shape[1]


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


with torch.inference_mode():
    run(prompts[0])
    service, tokens = [], 0
    for i in range(total):
        t0 = time.perf_counter()
        tokens += run(prompts[i % len(prompts)])
        service.append(time.perf_counter() - t0)
busy = sum(service)
latency = [sum(service[max(0, j - clients + 1):j + 1]) for j in range(total)]
print(f"requests {total} errors 0 wall {busy:.2f} s req/s {total / busy:.2f} p50 {pct(latency, 50):.3f} s "
      f"p99 {pct(latency, 99):.3f} s tokens {tokens} tokens/s {tokens / busy:.1f}")

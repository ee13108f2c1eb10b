#!/usr/bin/env python3
"""PyTorch/transformers side of Spindle's reward-model benchmark (optional; needs torch + transformers).

  posttrain_rm_peer.py SAMPLES.jsonl CKPT_DIR STEPS BATCH SEQ THREADS

SAMPLES.jsonl: preference shard samples as `bench/shards_mds.py numpy DIR` prints them. Trains
LlamaForSequenceClassification initialised from CKPT_DIR (a Spindle RM checkpoint) with Spindle's
recipe: BATCH pairs per step, sequences keep their last SEQ tokens, loss -logsigmoid(r_c - r_r - m)
(small margin table), AdamW (0.9, 0.95, eps 1e-5, wd 0.1), grad clip 1.0, fp32. Prints pairs/s
over steps 2..STEPS as `pairs/s: X`.
"""
import json
import sys
import time

import torch
from transformers import LlamaForSequenceClassification

samples_path, ckpt, steps, batch, seq, threads = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:7])
torch.set_num_threads(threads)
torch.manual_seed(0)
pairs = []
for line in open(samples_path):
    s = json.loads(line)
    if 'chosen_ids' not in s:   # the dump's {"directory": ...} header lines
        continue
    ids = lambda v: v['values'] if isinstance(v, dict) else v   # {"dtype", "shape", "values"} or a list
    md = s['margin_degree']
    md = md['values'][0] if isinstance(md, dict) else md
    pairs.append((ids(s['chosen_ids'])[-seq:], ids(s['rejected_ids'])[-seq:], int(md)))
margin = [0.0, 1 / 3, 2 / 3, 1.0]
model = LlamaForSequenceClassification.from_pretrained(ckpt, torch_dtype=torch.float32)
model.config.pad_token_id = 0
model.train()
opt = torch.optim.AdamW(model.parameters(), lr=1e-4, betas=(0.9, 0.95), eps=1e-5, weight_decay=0.1)
times = []
for step in range(steps):
    t0 = time.perf_counter()
    b = [pairs[(step * batch + i) % len(pairs)] for i in range(batch)]
    seqs = [x for p in b for x in (p[0], p[1])]
    longest = max(len(x) for x in seqs)
    ids = torch.zeros((len(seqs), longest), dtype=torch.long)
    mask = torch.zeros((len(seqs), longest), dtype=torch.long)
    for i, x in enumerate(seqs):
        ids[i, :len(x)] = torch.tensor(x)
        mask[i, :len(x)] = 1
    out = model(input_ids=ids, attention_mask=mask).logits[:, 0]
    rc, rr = out[0::2], out[1::2]
    m = torch.tensor([margin[p[2]] for p in b])
    loss = -torch.nn.functional.logsigmoid(rc - rr - m).mean()
    opt.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    times.append(time.perf_counter() - t0)
    print(f"step {step + 1}/{steps} loss {loss.item():.4f} {times[-1]:.3f}s", file=sys.stderr)
timed = times[1:] or times
print(f"pairs/s: {batch * len(timed) / sum(timed):.2f}")

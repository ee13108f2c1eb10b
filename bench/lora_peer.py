#!/usr/bin/env python3
"""peft/PyTorch side of Spindle's LoRA benchmark (optional; needs torch, transformers and peft).

  lora_peer.py STEPS BATCH SEQ THREADS RANK TARGETS

transformers' LlamaForCausalLM at the stories15M shape (dim 288, 6 layers, 6 heads, hidden 768,
vocabulary 32000 untied, fp32), random weights, wrapped by peft's get_peft_model with
LoraConfig(r=RANK, lora_alpha=2*RANK, lora_dropout=0, target_modules=TARGETS) as Spindle's
`--lora-rank RANK --lora-targets ...` defaults; trained on random tokens (BATCH rows of SEQ) with the
causal-LM loss, gradient clip 1.0 over the trainable weights and torch AdamW (0.9, 0.95, eps 1e-5,
wd 0.1) over the adapters only -- the step Spindle's `train pretrain --benchmark --lora-rank` times.
One warm-up step, then STEPS timed. TARGETS: comma-separated short names (q,v) or 'all'.
Prints `trainable parameters: N` and `step: best X ms, median Y ms`.
"""
import sys
import time

import torch
from peft import LoraConfig, get_peft_model
from transformers import LlamaConfig, LlamaForCausalLM

steps, batch, seq, threads, rank = map(int, sys.argv[1:6])
short = {"q": "q_proj", "k": "k_proj", "v": "v_proj", "o": "o_proj", "gate": "gate_proj", "up": "up_proj", "down": "down_proj"}
targets = list(short.values()) if sys.argv[6] == "all" else [short[t] for t in sys.argv[6].split(",")]
torch.set_num_threads(threads)
torch.manual_seed(0)
config = LlamaConfig(hidden_size=288, intermediate_size=768, num_hidden_layers=6, num_attention_heads=6,
                     num_key_value_heads=6, vocab_size=32000, max_position_embeddings=seq, tie_word_embeddings=False,
                     rms_norm_eps=1e-5)
model = get_peft_model(LlamaForCausalLM(config),
                       LoraConfig(r=rank, lora_alpha=2 * rank, lora_dropout=0.0, target_modules=targets, task_type="CAUSAL_LM"))
model.train()
trainable = [p for p in model.parameters() if p.requires_grad]
print(f"trainable parameters: {sum(p.numel() for p in trainable)}")
opt = torch.optim.AdamW(trainable, lr=3e-4, betas=(0.9, 0.95), eps=1e-5, weight_decay=0.1)
gen = torch.Generator().manual_seed(1)
times = []
for step in range(steps + 1):
    ids = torch.randint(0, config.vocab_size, (batch, seq), generator=gen)
    t0 = time.perf_counter()
    loss = model(input_ids=ids, labels=ids).loss
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(trainable, 1.0)
    opt.step()
    dt = time.perf_counter() - t0
    print(f"step {step}/{steps} loss {loss.item():.4f} {dt * 1000:.0f} ms", file=sys.stderr)
    if step > 0:   # step 0 warms up
        times.append(dt)
times.sort()
print(f"step: best {times[0] * 1000:.0f} ms, median {times[len(times) // 2] * 1000:.0f} ms")

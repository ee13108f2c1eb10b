#!/usr/bin/env python3
"""lm-evaluation-harness 0.4.x (hf backend) on a checkpoint Spindle trained, for EvalTrainedCrossCheckTests.

usage: lm_eval_trained_crosscheck.py WORKDIR CHECKPOINT

WORKDIR is lm_eval_crosscheck.py's (its tokenizer.model, data/ and tasks/ YAMLs); CHECKPOINT a directory
`spindle train pretrain` wrote with that tokenizer. HFLM loads the checkpoint itself
(`pretrained=CHECKPOINT`, transformers' AutoModelForCausalLM, the dtype its config.json gives), with
SentencePiece as its tokenizer (lm_eval_hflm.py). Writes WORKDIR/harness/trained_TASK.json for two
multiple-choice tasks (arc_easy, hellaswag: piqa's longest solutions exceed the 128-token context) and one generation task (gsm8k, 2-shot from its train file: nq_open's stop strings "\n", ".", ","
cut this model's answers to nothing, gsm8k's let it write), and WikiText's rolling perplexity, as
lm_eval_crosscheck.py does.
"""
import os, sys

import sentencepiece as spm

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lm_eval_hflm import sentencepiece_lms, run_loglikelihood, run_generation

work, checkpoint = sys.argv[1:3]
sp = spm.SentencePieceProcessor(model_file=work + "/tokenizer.model")
lm, glm = sentencepiece_lms(sp, checkpoint)
assert type(lm.model).__name__ == "LlamaForCausalLM", type(lm.model).__name__
print(f"max_length {lm.max_length}, dtype {lm.model.dtype}")
for task in ["arc_easy", "hellaswag"]:
    run_loglikelihood(lm, work, task, 0, out_name="trained_" + task)
run_generation(glm, work, "gsm8k", 2, out_name="trained_gsm8k")
run_loglikelihood(lm, work, "wikitext", 0, out_name="trained_wikitext")
print("ok")

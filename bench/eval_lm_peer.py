#!/usr/bin/env python3
"""The lm-evaluation-harness side of bench/eval_lm.sh.

usage: eval_lm_peer.py make MODEL_DIR TOKENIZER_MODEL
       eval_lm_peer.py run  MODEL_DIR TOKENIZER_MODEL ROWS_JSONL THREADS

`make` writes a random Llama in Hugging Face layout (config.json + model.safetensors, fp32, seed 0):
dim 512, 8 layers, 8 heads, SwiGLU 1376, context 512, the tokenizer's vocabulary (about 50M parameters
with Llama 2's 32000 pieces). Spindle reads the same directory.

`run` scores hellaswag on ROWS_JSONL with lm-eval's `hf` backend (transformers on CPU, fp32, batch size 8,
torch.set_num_threads(THREADS)), the task YAML being the harness's own with the rows pointed at the file
(`dataset_path: json`). Only simple_evaluate is timed (imports and model loading are not). Prints
`seconds S`, `acc A`, `acc_norm B`. The tokenizer call is SentencePiece on the same .model plus BOS (what
a Llama tokenizer's encode gives), as in Tests/SpindleEvalTests/lm_eval_crosscheck.py.
"""
import os, sys, tempfile, time
import torch, sentencepiece as spm

mode, model_dir, tok_path = sys.argv[1:4]
sp = spm.SentencePieceProcessor(model_file=tok_path)

if mode == "make":
    from transformers import LlamaConfig, LlamaForCausalLM
    torch.manual_seed(0)
    cfg = LlamaConfig(vocab_size=sp.get_piece_size(), hidden_size=512, intermediate_size=1376, num_hidden_layers=8,
                      num_attention_heads=8, num_key_value_heads=8, max_position_embeddings=512, rms_norm_eps=1e-5,
                      tie_word_embeddings=False, bos_token_id=sp.bos_id(), eos_token_id=sp.eos_id())
    LlamaForCausalLM(cfg).float().eval().save_pretrained(model_dir, safe_serialization=True)
    sys.exit(0)

rows, threads = sys.argv[4], int(sys.argv[5])
torch.set_num_threads(threads)
import transformers, tokenizers, lm_eval
from lm_eval.models.huggingface import HFLM
from lm_eval.tasks import TaskManager


class SentencePieceHFLM(HFLM):
    def tok_encode(self, string, add_special_tokens=None, left_truncate_len=None, **kwargs):
        ids = sp.encode(string)
        if add_special_tokens is None or add_special_tokens:
            ids = [sp.bos_id()] + ids
        return ids[-left_truncate_len:] if left_truncate_len else ids


work = tempfile.mkdtemp()
inc = os.path.dirname(lm_eval.__file__) + "/tasks/hellaswag/hellaswag.yaml"
with open(work + "/x_hellaswag.yaml", "w") as f:
    f.write(f"include: {inc}\ntask: x_hellaswag\ntag: []\ndataset_path: json\ndataset_name: null\n"
            f"dataset_kwargs:\n  data_files:\n    validation: {rows}\n"
            "training_split: null\nvalidation_split: validation\ntest_split: null\n")
tokenizer = transformers.PreTrainedTokenizerFast(tokenizer_object=tokenizers.Tokenizer(
    tokenizers.models.WordLevel({"<unk>": 0, "<s>": 1, "</s>": 2}, unk_token="<unk>")),
    bos_token="<s>", eos_token="</s>", unk_token="<unk>")
model = transformers.LlamaForCausalLM.from_pretrained(model_dir, torch_dtype=torch.float32).eval()
lm = SentencePieceHFLM(pretrained=model, tokenizer=tokenizer, batch_size=8, device="cpu")
tm = TaskManager(include_path=work)
t0 = time.time()
out = lm_eval.simple_evaluate(model=lm, tasks=["x_hellaswag"], num_fewshot=0, task_manager=tm, bootstrap_iters=0)
dt = time.time() - t0
res = out["results"]["x_hellaswag"]
print(f"seconds {dt:.2f}")
print(f"acc {res['acc,none']}")
print(f"acc_norm {res['acc_norm,none']}")

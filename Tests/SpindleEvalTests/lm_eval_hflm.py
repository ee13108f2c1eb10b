"""What the lm-eval cross-check scripts share: lm-eval's `hf` backend (HFLM) with SentencePiece as its
tokenizer, and one run of a task written as a custom YAML (see lm_eval_crosscheck.py).

HFLM calls the HF tokenizer's encode (with its default add_special_tokens, so a Llama tokenizer adds BOS);
here that call is SentencePiece itself (the .model Spindle reads) plus BOS, and decoding is SentencePiece's,
so a comparison covers prompts, request splitting, truncation, windows, generation, scoring and metrics;
that Spindle's encoder equals SentencePiece is the tokenizer parity tests' job. `pretrained` is a
transformers model or a checkpoint directory, which HFLM then loads itself (`AutoModelForCausalLM`).
"""
import json

import torch
import transformers
import tokenizers
import lm_eval
from lm_eval.models.huggingface import HFLM
from lm_eval.tasks import TaskManager


def special_tokens_tokenizer():
    """A fast tokenizer that knows only <unk>, <s>, </s>: what HFLM reads for BOS/EOS and padding."""
    return transformers.PreTrainedTokenizerFast(
        tokenizer_object=tokenizers.Tokenizer(tokenizers.models.WordLevel({"<unk>": 0, "<s>": 1, "</s>": 2}, unk_token="<unk>")),
        bos_token="<s>", eos_token="</s>", unk_token="<unk>")


def sentencepiece_lms(sp, pretrained, max_gen_toks=32):
    """(lm for log-likelihood requests, batch 8; glm for generate_until, batch 1), both over `pretrained`."""

    class SentencePieceHFLM(HFLM):
        """HFLM whose tokenizer encode is SentencePiece's (+ BOS, a Llama tokenizer's default)."""
        def tok_encode(self, string, add_special_tokens=None, left_truncate_len=None, **kwargs):
            ids = sp.encode(string)
            if add_special_tokens is None or add_special_tokens:
                ids = [sp.bos_id()] + ids
            return ids[-left_truncate_len:] if left_truncate_len else ids

    class GenerationHFLM(SentencePieceHFLM):
        """Contexts encoded as the tokenizer call does (BOS + pieces), decoded with SentencePiece;
        max_gen_toks small so that prompts fit a small context."""
        @property
        def max_gen_toks(self):
            return max_gen_toks

        def tok_batch_encode(self, strings, padding_side="left", left_truncate_len=None, truncation=False):
            assert len(strings) == 1
            ids = [sp.bos_id()] + sp.encode(strings[0])
            if left_truncate_len:
                ids = ids[-left_truncate_len:]
            t = torch.tensor([ids])
            return t, torch.ones_like(t)

        def tok_decode(self, tokens, skip_special_tokens=True):
            tokens = [tokens] if isinstance(tokens, int) else list(tokens)
            if not skip_special_tokens and all(sp.is_control(t) for t in tokens):
                return "".join(sp.id_to_piece(t) for t in tokens)   # "</s>", what a Llama tokenizer gives
            return sp.decode([t for t in tokens if not sp.is_control(t)])

    class SPTokenizerForStops:
        """What MultiTokenEOSCriteria calls: encode (for the look-back length) and batch_decode."""
        pad_token_id = 0
        eos_token_id = sp.eos_id()
        name_or_path = "sentencepiece"

        def encode(self, s, add_special_tokens=False):
            return sp.encode(s)

        def batch_decode(self, batch):
            return [sp.decode([t for t in row.tolist() if not sp.is_control(t)]) for row in batch]

    tokenizer = special_tokens_tokenizer()
    lm = SentencePieceHFLM(pretrained=pretrained, tokenizer=tokenizer, batch_size=8, device="cpu")
    glm = GenerationHFLM(pretrained=lm.model if not isinstance(pretrained, str) else pretrained,
                         tokenizer=tokenizer, batch_size=1, device="cpu")
    glm.tokenizer = SPTokenizerForStops()
    assert lm.prefix_token_id == sp.bos_id()
    return lm, glm


def evaluate(lm, work, task, shots):
    """simple_evaluate on the custom task x_TASK of WORK/tasks: (its results, its samples by doc_id)."""
    out = lm_eval.simple_evaluate(model=lm, tasks=[f"x_{task}"], num_fewshot=shots,
                                  task_manager=TaskManager(include_path=work + "/tasks"),
                                  log_samples=True, bootstrap_iters=0)
    return out["results"][f"x_{task}"], sorted(out["samples"][f"x_{task}"], key=lambda s: (s["doc_id"], s.get("filter", "")))


def run_loglikelihood(lm, work, task, shots, out_name=None):
    """Writes WORK/harness/OUT_NAME.json: acc, acc_norm, per-request lls and contexts."""
    res, samples = evaluate(lm, work, task, shots)
    if task == "wikitext":
        rec = {"lls": [s["resps"][0][0] for s in samples],
               **{m: res[f"{m},none"] for m in ["word_perplexity", "byte_perplexity", "bits_per_byte"]}}
    else:
        rec = {"acc": res["acc,none"], "acc_stderr": res["acc_stderr,none"], "acc_norm": res.get("acc_norm,none"),
               "lls": [[r[0][0] for r in s["resps"]] for s in samples],
               "contexts": [s["arguments"][0][0] for s in samples]}
    json.dump(rec, open(f"{work}/harness/{out_name or task}.json", "w"))
    return rec


def run_generation(glm, work, task, shots, out_name=None):
    """Writes WORK/harness/OUT_NAME.json: exact_match per filter, generations, contexts, filtered answers."""
    res, samples = evaluate(glm, work, task, shots)
    by_filter = {}
    for smp in samples:
        by_filter.setdefault(smp["filter"], []).append(smp)
    rec = {"em": {k.split(",")[1]: v for k, v in res.items() if k.startswith("exact_match,")}, "filtered": {}, "scores": {}}
    for f, ss in by_filter.items():
        rec["gens"] = [x["resps"][0][0] for x in ss]
        rec["contexts"] = [x["arguments"][0][0] for x in ss]
        rec["filtered"][f] = [x["filtered_resps"][0] for x in ss]
        rec["scores"][f] = [x["exact_match"] for x in ss]
    json.dump(rec, open(f"{work}/harness/{out_name or task}.json", "w"))
    return rec

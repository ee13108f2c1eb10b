#!/usr/bin/env python3
"""lm-evaluation-harness 0.4.x (hf backend) on a tiny random Hugging Face Llama, for EvalCrossCheckTests.

usage: lm_eval_crosscheck.py WORKDIR SHARED_EVAL_DIR WIKITEXT_VALID

Writes WORKDIR/tokenizer.model (a 1024-piece SentencePiece BPE with Llama 2's trainer settings, trained
on WIKITEXT_VALID: a small vocabulary keeps the debug-build test fast), WORKDIR/model (config.json +
model.safetensors, fp32, seed 0, max_position_embeddings 256 so long prompts are left-truncated and
documents span several windows),
WORKDIR/data/TASK.jsonl (the rows both sides read), one custom task YAML per task pointing lm-eval at
them (`dataset_path: json` + `data_files`, everything else `include`d from the harness's own YAML),
and WORKDIR/harness/TASK.json: {"acc", "acc_norm", "lls": [[ll per choice] per doc]} from lm-eval's
results and logged samples; for wikitext {"lls": [per doc], "word_perplexity", "byte_perplexity",
"bits_per_byte"}.

Tokens: lm-eval's HFLM calls the HF tokenizer's encode (with its default add_special_tokens, so a Llama
tokenizer adds BOS); here that call is SentencePiece itself (the .model Spindle reads) plus BOS, so the
comparison is of prompts, request splitting, truncation, windows, scoring and metrics; that Spindle's
encoder equals SentencePiece is the tokenizer parity tests' job.
"""
import gzip, json, os, re, sys
import torch, sentencepiece as spm
import transformers
from transformers import LlamaConfig, LlamaForCausalLM

work, eval_dir, wiki = sys.argv[1:4]
LM_EVAL = os.path.dirname(__import__("lm_eval").__file__) + "/tasks"
tok_path = work + "/tokenizer.model"
spm.SentencePieceTrainer.train(
    input=wiki, model_prefix=work + "/tokenizer", model_type="bpe", vocab_size=1024, character_coverage=0.99995,
    input_sentence_size=0, shuffle_input_sentence=False, max_sentence_length=4192, max_sentencepiece_length=16,
    num_threads=1, split_by_unicode_script=True, split_by_whitespace=True, split_by_number=True, split_digits=True,
    treat_whitespace_as_suffix=False, allow_whitespace_only_pieces=True, byte_fallback=True,
    vocabulary_output_piece_score=True, hard_vocab_limit=True, normalization_rule_name="identity",
    add_dummy_prefix=True, remove_extra_whitespaces=False, unk_id=0, bos_id=1, eos_id=2, pad_id=-1,
    unk_surface=" \u2047 ", minloglevel=2)
sp = spm.SentencePieceProcessor(model_file=tok_path)

# --- model -------------------------------------------------------------------------------------
torch.manual_seed(0)
cfg = LlamaConfig(vocab_size=sp.get_piece_size(), hidden_size=64, intermediate_size=172, num_hidden_layers=2,
                  num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256, rms_norm_eps=1e-5,
                  tie_word_embeddings=False, initializer_range=0.2, bos_token_id=sp.bos_id(), eos_token_id=sp.eos_id())
model = LlamaForCausalLM(cfg).float().eval()
model.save_pretrained(work + "/model", safe_serialization=True)

# --- data: the rows both sides read ------------------------------------------------------------
os.makedirs(work + "/data", exist_ok=True)
os.makedirs(work + "/tasks", exist_ok=True)
os.makedirs(work + "/harness", exist_ok=True)

def rows(name, n):
    with gzip.open(f"{eval_dir}/{name}.jsonl.gz", "rt", encoding="utf-8") as f:
        return [json.loads(l) for _, l in zip(range(n), f)]

def write(path, rs):
    with open(path, "w", encoding="utf-8") as f:
        for r in rs:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")

def yaml(task, include, files, extra=""):
    files_yaml = "".join(f"    {k}: {v}\n" for k, v in files.items())
    with open(f"{work}/tasks/x_{task}.yaml", "w") as f:
        f.write(f"include: {include}\ntask: x_{task}\ntag: []\ndataset_path: json\ndataset_name: null\n"
                f"dataset_kwargs:\n  data_files:\n{files_yaml}{extra}")

tasks = {}
for name, n, inc in [("arc_easy", 40, "arc/arc_easy.yaml"), ("hellaswag", 30, "hellaswag/hellaswag.yaml"),
                     ("piqa", 40, "piqa/piqa.yaml")]:
    write(f"{work}/data/{name}.jsonl", rows(name, n))
    yaml(name, f"{LM_EVAL}/{inc}", {"validation": f"{work}/data/{name}.jsonl"},
         "training_split: null\nvalidation_split: validation\ntest_split: null\n")
    tasks[name] = 0
# BoolQ as SuperGLUE has it: label 0/1 (google/boolq's answer true/false).
write(f"{work}/data/boolq.jsonl", [dict(r, label=int(r["answer"])) for r in rows("boolq", 20)])
yaml("boolq", f"{LM_EVAL}/super_glue/boolq/default.yaml", {"validation": f"{work}/data/boolq.jsonl"},
     "training_split: null\nvalidation_split: validation\ntest_split: null\n")
tasks["boolq"] = 0
# Seeded few-shot draws (the `default` sampler, random.Random(1234)): arc_easy 3-shot from a training
# split (rows 40-99), and piqa 2-shot from the evaluated split itself, where the question is left out.
write(f"{work}/data/arc_easy_train.jsonl", rows("arc_easy", 100)[40:])
yaml("arc_easy_3shot", f"{LM_EVAL}/arc/arc_easy.yaml",
     {"validation": f"{work}/data/arc_easy.jsonl", "train": f"{work}/data/arc_easy_train.jsonl"},
     "training_split: train\nvalidation_split: validation\ntest_split: null\nfewshot_split: train\n")
tasks["arc_easy_3shot"] = 3
yaml("piqa_2shot_same", f"{LM_EVAL}/piqa/piqa.yaml", {"test": f"{work}/data/piqa.jsonl"},
     "training_split: null\nvalidation_split: null\ntest_split: test\nfewshot_split: test\n")
tasks["piqa_2shot_same"] = 2
# Tasks without data in ../shared: rows written here in each Hugging Face dataset's layout, with the
# edge cases their templates meet (numeric ARC labels, a stem ending in spaces, an empty or padded
# support, string SIQA labels, non-ASCII text).
handwritten = {
    "arc_challenge": ("arc/arc_challenge.yaml", [
        {"id": "a1", "question": "Which gas do plants take in?", "choices": {"text": ["oxygen", "carbon dioxide", "helium", "neon"], "label": ["1", "2", "3", "4"]}, "answerKey": "2"},
        {"id": "a2", "question": "What melts ice fastest?", "choices": {"text": ["salt", "sand", "sawdust"], "label": ["A", "B", "C"]}, "answerKey": "A"},
        {"id": "a3", "question": "Café owners measure temperature in °C with a", "choices": {"text": ["thermometer", "barometer", "ruler", "scale"], "label": ["A", "B", "C", "D"]}, "answerKey": "A"},
        {"id": "a4", "question": "Sound travels fastest through", "choices": {"text": ["air", "water", "steel", "a vacuum"], "label": ["A", "B", "C", "D"]}, "answerKey": "C"}]),
    "openbookqa": ("openbookqa/openbookqa.yaml", [
        {"id": "o1", "question_stem": "The sun is responsible for  ", "choices": {"text": ["puppies learning new tricks", "plants sprouting, blooming and wilting", "children growing up", "flowers wilting in a vase"], "label": ["A", "B", "C", "D"]}, "answerKey": "B"},
        {"id": "o2", "question_stem": "When standing miles away from Mount Rushmore", "choices": {"text": ["the mountains seem very close", "the mountains are boring", "the mountains look the same as from up close", "the mountains seem smaller than in photographs"], "label": ["A", "B", "C", "D"]}, "answerKey": " D"},
        {"id": "o3", "question_stem": "A magnet will stick to", "choices": {"text": ["a plastic cup", "an iron nail", "a glass jar", "a wooden spoon"], "label": ["A", "B", "C", "D"]}, "answerKey": "B"},
        {"id": "o4", "question_stem": "Which is a renewable resource?", "choices": {"text": ["coal", "oil", "wind", "natural gas"], "label": ["A", "B", "C", "D"]}, "answerKey": "C"}]),
    "sciq": ("sciq/sciq.yaml", [
        {"question": "What type of organism is commonly used in preparation of foods such as cheese and yogurt?", "distractor3": "viruses", "distractor1": "protozoa", "distractor2": "gymnosperms", "correct_answer": "mesophilic organisms", "support": "\n Mesophiles grow best in moderate temperature, typically between 25°C and 40°C."},
        {"question": "What is the least dangerous radioactive decay?", "distractor3": "zeta decay", "distractor1": "beta decay", "distractor2": "gamma decay", "correct_answer": "alpha decay", "support": ""},
        {"question": "Kilauea in Hawaii is the world's most continuously active what?", "distractor3": "mountain", "distractor1": "river", "distractor2": "lake", "correct_answer": "volcano", "support": "Example: Kilauea."},
        {"question": "What do plants use to make food?", "distractor3": "soil", "distractor1": "rocks", "distractor2": "wind", "correct_answer": "sunlight", "support": "  Plants photosynthesize. "}]),
    "copa": ("super_glue/copa/default.yaml", [
        {"premise": "My body cast a shadow over the grass.", "choice1": "The sun was rising.", "choice2": "The grass was cut.", "question": "cause", "idx": 0, "label": 0},
        {"premise": "The woman tolerated her friend's difficult behavior.", "choice1": "The woman knew her friend was going through a hard time.", "choice2": "The woman felt that her friend took advantage of her kindness.", "question": "cause", "idx": 1, "label": 0},
        {"premise": "The women met for coffee.", "choice1": "The cafe reopened in a new location.", "choice2": "They wanted to catch up with each other.", "question": "cause", "idx": 2, "label": 1},
        {"premise": "The runner wore shorts. ", "choice1": "The forecast predicted high temperatures.", "choice2": "She planned to run along the beach.", "question": "effect", "idx": 3, "label": 0}]),
    "social_iqa": ("siqa/siqa.yaml", [
        {"context": "Tracy didn't go home that evening and resisted Riley's attacks.", "question": "What does Tracy need to do before this?", "answerA": "make a new plan", "answerB": "Go home and see Riley", "answerC": "Find somewhere to go", "label": "3"},
        {"context": "Sydney walked past a homeless woman asking for change but did not have any money they could give to her.", "question": "How would you describe Sydney?", "answerA": "sympathetic", "answerB": "like a person who was unable to help", "answerC": "incredulous", "label": "1"},
        {"context": "Sasha protected the patients' rights by making new laws regarding cancer drug trials.", "question": "What will patients want to do next?", "answerA": "write new laws", "answerB": "get petitions signed", "answerC": "live longer", "label": "3"},
        {"context": "Jordan was in charge of taking the food on the camping trip.", "question": "How would Jordan feel afterwards?", "answerA": "horrible that he let his friends down", "answerB": "happy", "answerC": "proud", "label": "1"}]),
    "commonsense_qa": ("commonsense_qa/default.yaml", [
        {"id": "c1", "question": "The sanctions against the school were a punishing blow, and they seemed to what the efforts the school had made to change? ", "question_concept": "punishing", "choices": {"label": ["A", "B", "C", "D", "E"], "text": ["ignore", "enforce", "authoritarian", "yell at", "avoid"]}, "answerKey": "A"},
        {"id": "c2", "question": "Sammy wanted to go to where the people were.  Where might he go?", "question_concept": "people", "choices": {"label": ["A", "B", "C", "D", "E"], "text": ["race track", "populated areas", "the desert", "apartment", "roadblock"]}, "answerKey": "B"},
        {"id": "c3", "question": "To locate a choker not located in a jewelry box or boutique where would you go?", "question_concept": "choker", "choices": {"label": ["A", "B", "C", "D", "E"], "text": ["jewelry store", "neck", "jewlery box", "jewelry box", "boutique"]}, "answerKey": "A"},
        {"id": "c4", "question": "Google Maps and other highway and street GPS services have replaced what?", "question_concept": "highway", "choices": {"label": ["A", "B", "C", "D", "E"], "text": ["united states", "mexico", "countryside", "atlas", "oceans"]}, "answerKey": "D"}]),
}
for name, (inc, rs) in handwritten.items():
    write(f"{work}/data/{name}.jsonl", rs)
    yaml(name, f"{LM_EVAL}/{inc}", {"validation": f"{work}/data/{name}.jsonl"},
         "training_split: null\nvalidation_split: validation\ntest_split: null\n")
    tasks[name] = 0
# MMLU, three subjects, 5-shot from dev (first_n): the dev rows serve as test rows too.
dev = rows("mmlu_dev", 10**6)
subjects = ["abstract_algebra", "anatomy", "high_school_biology"]
write(f"{work}/data/mmlu.jsonl", [r for r in dev if r["subject"] in subjects])
write(f"{work}/data/mmlu_dev.jsonl", dev)
for s in subjects:
    write(f"{work}/data/mmlu_{s}.jsonl", [r for r in dev if r["subject"] == s])
    yaml(f"mmlu_{s}", f"{LM_EVAL}/mmlu/default/mmlu_{s}.yaml",
         {"test": f"{work}/data/mmlu_{s}.jsonl", "dev": f"{work}/data/mmlu_{s}.jsonl"})
    tasks[f"mmlu_{s}"] = 5
# WikiText-like documents: the first articles of WikiText-2's valid split (" = Title = " starts one).
docs, cur = [], []
for line in open(wiki, encoding="utf-8"):
    if re.match(r"^ = [^=].* = $", line) and cur:
        if "".join(cur).strip():
            docs.append("".join(cur))
        cur = []
        if len(docs) == 3: break
    cur.append(line)
write(f"{work}/data/wikitext.jsonl", [{"page": d} for d in docs])
yaml("wikitext", f"{LM_EVAL}/wikitext/wikitext.yaml", {"test": f"{work}/data/wikitext.jsonl"},
     "training_split: null\nvalidation_split: null\ntest_split: test\n")

# --- the harness --------------------------------------------------------------------------------
import lm_eval
from lm_eval.models.huggingface import HFLM
from lm_eval.tasks import TaskManager


class SentencePieceHFLM(HFLM):
    """HFLM whose tokenizer encode is SentencePiece's (+ BOS, a Llama tokenizer's default)."""
    def tok_encode(self, string, add_special_tokens=None, left_truncate_len=None, **kwargs):
        ids = sp.encode(string)
        if add_special_tokens is None or add_special_tokens:
            ids = [sp.bos_id()] + ids
        return ids[-left_truncate_len:] if left_truncate_len else ids


tokenizer = transformers.PreTrainedTokenizerFast(tokenizer_object=__import__("tokenizers").Tokenizer(
    __import__("tokenizers").models.WordLevel({"<unk>": 0, "<s>": 1, "</s>": 2}, unk_token="<unk>")),
    bos_token="<s>", eos_token="</s>", unk_token="<unk>")
lm = SentencePieceHFLM(pretrained=model, tokenizer=tokenizer, batch_size=8, device="cpu")
assert lm.max_length == 256 and lm.prefix_token_id == sp.bos_id()
tm = TaskManager(include_path=work + "/tasks")
for task, shots in list(tasks.items()) + [("wikitext", 0)]:
    out = lm_eval.simple_evaluate(model=lm, tasks=[f"x_{task}"], num_fewshot=shots, task_manager=tm,
                                  log_samples=True, bootstrap_iters=0)
    res = out["results"][f"x_{task}"]
    samples = sorted(out["samples"][f"x_{task}"], key=lambda s: s["doc_id"])
    if task == "wikitext":
        rec = {"lls": [s["resps"][0][0] for s in samples],
               **{m: res[f"{m},none"] for m in ["word_perplexity", "byte_perplexity", "bits_per_byte"]}}
    else:
        rec = {"acc": res["acc,none"], "acc_stderr": res["acc_stderr,none"], "acc_norm": res.get("acc_norm,none"),
               "lls": [[r[0][0] for r in s["resps"]] for s in samples],
               "contexts": [s["arguments"][0][0] for s in samples]}
    json.dump(rec, open(f"{work}/harness/{task}.json", "w"))
print("ok")

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

Tokens: lm-eval's HFLM with SentencePiece as its tokenizer (lm_eval_hflm.py says how and why).
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

# Generation tasks: nq_open (20 real rows; 0-shot and 2-shot from its own split), triviaqa and gsm8k
# (hand-written rows in the rc.nocontext and main layouts; gsm8k 2-shot from a train file). The
# "_hits" variants are written after a first run, with targets made from the model's own generations
# (upper-cased, an article, punctuation) so that exact_match's normalisation decides them.
write(f"{work}/data/nq_open.jsonl", rows("nq_open", 20))
gen_tasks = {"nq_open": ("nq_open/nq_open.yaml", 0, {"validation": f"{work}/data/nq_open.jsonl"},
                         "training_split: null\nvalidation_split: validation\ntest_split: null\n"),
             "nq_open_2shot_same": ("nq_open/nq_open.yaml", 2, {"test": f"{work}/data/nq_open.jsonl"},
                                    "training_split: null\nvalidation_split: null\ntest_split: test\nfewshot_split: test\n")}
trivia = [
    {"question": "Which planet is known as the Red Planet", "question_id": "t1", "answer": {"aliases": ["Mars", "The Red Planet", "mars"], "normalized_aliases": ["mars", "red planet"], "value": "Mars", "normalized_value": "mars", "matched_wiki_entity_name": "", "normalized_matched_wiki_entity_name": "", "type": "WikipediaEntity"}},
    {"question": "Who wrote the play Hamlet", "question_id": "t2", "answer": {"aliases": ["William Shakespeare", "Shakespeare"], "normalized_aliases": ["william shakespeare", "shakespeare"], "value": "William Shakespeare", "normalized_value": "william shakespeare", "matched_wiki_entity_name": "", "normalized_matched_wiki_entity_name": "", "type": "WikipediaEntity"}},
    {"question": "What is the chemical symbol for gold", "question_id": "t3", "answer": {"aliases": ["Au", "AU"], "normalized_aliases": ["au"], "value": "Au", "normalized_value": "au", "matched_wiki_entity_name": "", "normalized_matched_wiki_entity_name": "", "type": "FreeForm"}},
    {"question": "In which city is the Café de Flore", "question_id": "t4", "answer": {"aliases": ["Paris", "Paris, France"], "normalized_aliases": ["paris", "paris france"], "value": "Paris", "normalized_value": "paris", "matched_wiki_entity_name": "", "normalized_matched_wiki_entity_name": "", "type": "WikipediaEntity"}},
    {"question": "How many sides has a hexagon", "question_id": "t5", "answer": {"aliases": ["6", "six"], "normalized_aliases": ["6", "six"], "value": "6", "normalized_value": "6", "matched_wiki_entity_name": "", "normalized_matched_wiki_entity_name": "", "type": "Numerical"}},
    {"question": "What is the capital of Japan", "question_id": "t6", "answer": {"aliases": ["Tokyo", "Tōkyō"], "normalized_aliases": ["tokyo"], "value": "Tokyo", "normalized_value": "tokyo", "matched_wiki_entity_name": "", "normalized_matched_wiki_entity_name": "", "type": "WikipediaEntity"}}]
write(f"{work}/data/triviaqa.jsonl", trivia)
gen_tasks["triviaqa"] = ("triviaqa/default.yaml", 0, {"validation": f"{work}/data/triviaqa.jsonl"},
                         "training_split: null\nvalidation_split: validation\ntest_split: null\n")
gsm = [
    {"question": "Tom has 3 apples and buys 4 more. How many apples does he have?", "answer": "He has 3 + 4 = <<3+4=7>>7 apples.\n#### 7"},
    {"question": "A book costs $12. How much do 3 books cost?", "answer": "3 books cost 3 * 12 = <<3*12=36>>36 dollars.\n#### 36"},
    {"question": "Sara had 1,200 stamps and gave away 250. How many are left?", "answer": "1,200 - 250 = <<1200-250=950>>950.\n#### 950"},
    {"question": "The temperature was 5 degrees and fell by 8. What is it now?", "answer": "5 - 8 = <<5-8=-3>>-3.\n#### -3"},
    {"question": "Each box holds 6 eggs. How many eggs are in 7 boxes?", "answer": "7 * 6 = <<7*6=42>>42 eggs.\n#### 42"},
    {"question": "Half of 90 students walk to school. How many walk?", "answer": "90 / 2 = <<90/2=45>>45 students walk.\n#### 45"}]
write(f"{work}/data/gsm8k.jsonl", gsm[:3])
write(f"{work}/data/gsm8k_train.jsonl", gsm[3:])
gen_tasks["gsm8k"] = ("gsm8k/gsm8k.yaml", 2, {"test": f"{work}/data/gsm8k.jsonl", "train": f"{work}/data/gsm8k_train.jsonl"},
                      "training_split: train\nfewshot_split: train\ntest_split: test\n")
for name, (inc, _, files, extra) in gen_tasks.items():
    yaml(name, f"{LM_EVAL}/{inc}", files, extra)
# WinoGrande (partial scoring), hand-written rows in allenai/winogrande's layout; 0-shot and 1-shot.
wino = [
    {"sentence": "The trophy doesn't fit into the brown suitcase because the _ is too large.", "option1": "trophy", "option2": "suitcase", "answer": "1"},
    {"sentence": "The trophy doesn't fit into the brown suitcase because the _ is too small.", "option1": "trophy", "option2": "suitcase", "answer": "2"},
    {"sentence": "Sarah was a much better surgeon than Maria so _ always got the harder cases.", "option1": "Sarah", "option2": "Maria", "answer": "1"},
    {"sentence": "Ian volunteered to eat Dennis's menudo after already having a bowl because _ despised eating intestine.", "option1": "Ian", "option2": "Dennis", "answer": "2"},
    {"sentence": "He never comes to my home, but I always go to his house because the _ is smaller.", "option1": "home", "option2": "house", "answer": "1"},
    {"sentence": "The café ran out of croissants before the bakery did, since the _ ordered fewer.", "option1": "café", "option2": "bakery", "answer": "1"}]
write(f"{work}/data/winogrande.jsonl", wino)
yaml("winogrande", f"{LM_EVAL}/winogrande/default.yaml", {"validation": f"{work}/data/winogrande.jsonl"},
     "training_split: null\nvalidation_split: validation\ntest_split: null\n")
tasks["winogrande"] = 0
yaml("winogrande_1shot_same", f"{LM_EVAL}/winogrande/default.yaml", {"test": f"{work}/data/winogrande.jsonl"},
     "training_split: null\nvalidation_split: null\ntest_split: test\nfewshot_split: test\n")
tasks["winogrande_1shot_same"] = 1

# --- the harness --------------------------------------------------------------------------------
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lm_eval_hflm import sentencepiece_lms, run_loglikelihood, run_generation

lm, glm = sentencepiece_lms(sp, model)
assert lm.max_length == 256
for task, shots in list(tasks.items()) + [("wikitext", 0)]:
    run_loglikelihood(lm, work, task, shots)

for name, (_, shots, _, _) in gen_tasks.items():
    rec = run_generation(glm, work, name, shots)
    if name in ("nq_open", "triviaqa"):   # targets made from the generations: the normalisation decides
        src = [json.loads(l) for l in open(f"{work}/data/{name}.jsonl", encoding="utf-8")]
        forms = [lambda g: "The " + g.upper() + "!", lambda g: "an " + g, lambda g: g.replace(" ", "  "), lambda g: '"' + g + '"']
        hits = []
        for i, (r, g) in enumerate(zip(src, rec["filtered"]["remove_whitespace"])):
            alias = forms[i % 4](g) if i % 5 != 4 else "never " + g
            if name == "nq_open":
                hits.append(dict(r, answer=["zzz", alias]))
            else:
                hits.append(dict(r, answer=dict(r["answer"], aliases=["zzz", alias])))
        write(f"{work}/data/{name}_hits.jsonl", hits)
        inc, shots, _, extra = gen_tasks[name]
        yaml(f"{name}_hits", f"{LM_EVAL}/{inc}", {"validation": f"{work}/data/{name}_hits.jsonl"}, extra)
        run_generation(glm, work, f"{name}_hits", shots)

# The harness's own filters and exact_match on hand-written strings (Spindle's port is compared).
from lm_eval.filters.extraction import RegexFilter
from lm_eval.api.metrics import exact_match_hf_evaluate
probes = ["The answer is 42.", "#### 1,234", "so $5.00 and then #### -7.", "no numbers", "3 and 4 and 55", "x\n#### 12\n",
          "The Beatles", "the  end", "An apple, a day", "Über café!", "42.\n", "a.b.c", "_The cat", "ΣΑΣ",
          "ΟΔΟΣ.", "οδος.", "οδοσ.", "Α.Σ", "α.ς", "İstanbul", "i\u0307stanbu", "i\u0307stanbul"]
regex_out = {}
for label, kw in [("strict", dict(regex_pattern=r"#### (\-?[0-9\.\,]+)")), ("flex", dict(regex_pattern=r"(-?[$0-9.,]{2,})|(-?[0-9]+)", group_select=-1))]:
    regex_out[label] = [r[0] for r in RegexFilter(**kw).apply([[p] for p in probes], [{}] * len(probes))]
em_out = {}
configs = {"nq": dict(ignore_case=True, ignore_punctuation=True, regexes_to_ignore=["\\b(?:The |the |An |A |The |a |an )"]),
           "trivia": dict(ignore_case=True, ignore_punctuation=True),
           "gsm": dict(ignore_case=True, ignore_punctuation=False, regexes_to_ignore=[",", "\\$", "(?s).*#### ", "\\.$"])}
pairs = [(a, b) for a in probes for b in probes]
for label, kw in configs.items():
    em_out[label] = [float(exact_match_hf_evaluate(predictions=[a], references=[b], **kw)["exact_match"]) for a, b in pairs]
json.dump({"probes": probes, "regex": regex_out, "em": em_out}, open(f"{work}/harness/filters.json", "w"))
print("ok")

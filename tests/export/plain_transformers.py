"""Run as a separate process by test_export.py: load an exported model with transformers alone
(no medtune) and answer the study's test prompts the way the study did (chat template with the
exported system prompt, left-padded batches of 8, the exported generation config).

argv: EXPORT_DIR CASES_JSON ([{"id", "prompt"}]). Prints {"answers": {id: text}, "modules": [...]}."""

import json
import sys

from transformers import AutoModelForCausalLM, AutoTokenizer

export_dir, cases_path = sys.argv[1:]
tokenizer = AutoTokenizer.from_pretrained(export_dir)
model = AutoModelForCausalLM.from_pretrained(export_dir).eval()
with open(f"{export_dir}/medtune_task.json") as f:
    settings = json.load(f)
with open(cases_path) as f:
    cases = json.load(f)
tokenizer.padding_side = "left"
answers = {}
for i in range(0, len(cases), 8):
    chunk = cases[i:i + 8]
    texts = [tokenizer.apply_chat_template([{"role": "system", "content": settings["system_prompt"]},
                                            {"role": "user", "content": c["prompt"]}],
                                           add_generation_prompt=True, tokenize=False) for c in chunk]
    enc = tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False)
    out = model.generate(**enc)  # greedy with the study's budget: generation_config.json
    for c, row in zip(chunk, out[:, enc["input_ids"].shape[1]:]):
        answers[c["id"]] = tokenizer.decode(row, skip_special_tokens=True).strip()
print(json.dumps({"answers": answers, "modules": sorted(m for m in sys.modules if m.startswith("medtune"))}))

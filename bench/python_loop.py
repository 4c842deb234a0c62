"""What a Python user runs instead of distprompt: Hugging Face transformers + PyTorch, one target
and one initialisation at a time, AdamW on a soft prompt, full-sequence forward.

  python_loop.py OUT_DIR CONFIG_JSON ROWS STEPS

Builds the model from CONFIG_JSON (a distprompt preset's Hugging Face config) with seeded random
weights, saves it to OUT_DIR as safetensors (distprompt then loads the very same weights), makes
a shared mid-entropy target and times ROWS
sequential searches of STEPS steps. Prints one JSON line."""
import json
import os
import sys
import time

import torch
import transformers as tf

out, config_json, rows, steps = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
torch.manual_seed(0)
torch.set_num_threads(int(os.environ.get("DISTPROMPT_THREADS", torch.get_num_threads())))
cfg = tf.AutoConfig.for_model(**json.loads(config_json))
cfg._attn_implementation = "eager"
model = tf.AutoModelForCausalLM.from_config(cfg).eval()
for p in model.parameters():
    p.requires_grad_(False)
os.makedirs(out, exist_ok=True)
model.save_pretrained(out, safe_serialization=True)

# A shared mid-entropy target (a random model at the usual 0.02 init is nearly uniform after
# any prompt, so its own distributions would be reached by any method at step 0).
target = torch.softmax(torch.randn(cfg.vocab_size, generator=torch.Generator().manual_seed(1)) * 2.0, -1)
with open(os.path.join(out, "target.json"), "w") as f:
    json.dump(target.tolist(), f)

emb = model.get_input_embeddings().weight
final = []
t0 = time.perf_counter()
for r in range(rows):
    g = torch.Generator().manual_seed(r)
    ids = torch.randint(0, cfg.vocab_size, (1, 5), generator=g)
    theta = emb[ids].clone().requires_grad_(True)
    opt = torch.optim.AdamW([theta], lr=0.1, weight_decay=0.0)
    best = float("inf")
    for _ in range(steps):
        logits = model(inputs_embeds=theta).logits[:, -1].float()
        kl = (target * (target.clamp_min(1e-30).log() - torch.log_softmax(logits, -1))).sum()
        best = min(best, kl.item())
        opt.zero_grad()
        kl.backward()
        opt.step()
    final.append(best)
seconds = time.perf_counter() - t0
print(json.dumps({"rowStepsPerSecond": rows * steps / seconds, "bestKl": final, "torch": torch.__version__,
                  "transformers": tf.__version__, "threads": torch.get_num_threads()}))

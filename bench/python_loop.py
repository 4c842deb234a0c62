"""What a Python user runs instead of distprompt: Hugging Face transformers + PyTorch, one target
and one initialisation at a time, AdamW on a soft prompt, full-sequence forward.

  python_loop.py OUT_DIR CONFIG_JSON ROWS STEPS [DEVICE [DTYPE]]

Builds the model from CONFIG_JSON (a distprompt preset's Hugging Face config) with seeded random
weights, saves it to OUT_DIR as safetensors in float32 (distprompt then loads the very same
weights), makes a shared mid-entropy target and times ROWS sequential searches of STEPS steps
on DEVICE (default cpu) with the weights in DTYPE (default float32; the soft prompt, the
optimiser and the KL stay float32, as distprompt keeps them). Prints one JSON line."""
import json
import os
import sys
import time

import torch
import transformers as tf

out, config_json, rows, steps = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
device = sys.argv[5] if len(sys.argv) > 5 else "cpu"
dtype = getattr(torch, sys.argv[6]) if len(sys.argv) > 6 else torch.float32
torch.manual_seed(0)
torch.set_num_threads(int(os.environ.get("DISTPROMPT_THREADS", torch.get_num_threads())))
cfg = tf.AutoConfig.for_model(**json.loads(config_json))
cfg._attn_implementation = "eager"
model = tf.AutoModelForCausalLM.from_config(cfg).eval()
for p in model.parameters():
    p.requires_grad_(False)
os.makedirs(out, exist_ok=True)
model.save_pretrained(out, safe_serialization=True)
model.to(device=device, dtype=dtype)

# A shared mid-entropy target (a random model at the usual 0.02 init is nearly uniform after
# any prompt, so its own distributions would be reached by any method at step 0).
target = torch.softmax(torch.randn(cfg.vocab_size, generator=torch.Generator().manual_seed(1)) * 2.0, -1)
with open(os.path.join(out, "target.json"), "w") as f:
    json.dump(target.tolist(), f)
target = target.to(device)

emb = model.get_input_embeddings().weight
final = []
t0 = time.perf_counter()
for r in range(rows):
    g = torch.Generator().manual_seed(r)
    ids = torch.randint(0, cfg.vocab_size, (1, 5), generator=g).to(device)
    theta = emb[ids].float().clone().requires_grad_(True)
    opt = torch.optim.AdamW([theta], lr=0.1, weight_decay=0.0)
    best = float("inf")
    for _ in range(steps):
        logits = model(inputs_embeds=theta.to(dtype)).logits[:, -1].float()
        kl = (target * (target.clamp_min(1e-30).log() - torch.log_softmax(logits, -1))).sum()
        best = min(best, kl.item())
        opt.zero_grad()
        kl.backward()
        opt.step()
    final.append(best)
seconds = time.perf_counter() - t0
print(json.dumps({"rowStepsPerSecond": rows * steps / seconds, "bestKl": final, "torch": torch.__version__,
                  "transformers": tf.__version__, "threads": torch.get_num_threads(), "device": device,
                  "dtype": str(dtype).removeprefix("torch.")}))

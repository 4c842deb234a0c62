"""What a Python user runs instead of distprompt: Hugging Face transformers + PyTorch, one target
and one initialisation at a time, AdamW on a soft prompt, full-sequence forward.

  python_loop.py OUT_DIR CONFIG_JSON ROWS STEPS [DEVICE [DTYPE [SEARCH_JSON]]]

Builds the model from CONFIG_JSON (a distprompt preset's Hugging Face config) with seeded random
weights, saves it to OUT_DIR as safetensors in float32 (distprompt then loads the very same
weights), makes a shared mid-entropy target and times ROWS sequential searches of STEPS steps
on DEVICE (default cpu) with the weights in DTYPE (default float32; the soft prompt, the
optimiser and the KL stay float32, as distprompt keeps them). SEARCH_JSON sets the search:
{"seeds": [ROWS seeds], "prefixLength", "lr", "beta1", "beta2", "eps", "weightDecay"} (default:
seeds 0..ROWS-1, 5 positions, AdamW lr 0.1, betas 0.9/0.999, eps 1e-8, no weight decay). Row r's
initial prompt is prefixLength token ids drawn by torch.randint from a CPU generator seeded with
seeds[r]: the draw distprompt's tuner makes for a row of that seed (no banned tokens), so the two
sides start each row from the same prompt. Prints one JSON line."""
import json
import os
import sys
import time

import torch
import transformers as tf

out, config_json, rows, steps = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
device = sys.argv[5] if len(sys.argv) > 5 else "cpu"
dtype = getattr(torch, sys.argv[6]) if len(sys.argv) > 6 else torch.float32
search = {"seeds": list(range(rows)), "prefixLength": 5, "lr": 0.1, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8,
          "weightDecay": 0.0}
search.update(json.loads(sys.argv[7]) if len(sys.argv) > 7 else {})
if len(search["seeds"]) != rows:
    sys.exit(f"python_loop.py: {len(search['seeds'])} seeds for {rows} rows")
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
for seed in search["seeds"]:
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(0, cfg.vocab_size, (1, search["prefixLength"]), generator=g).to(device)
    theta = emb[ids].float().clone().requires_grad_(True)
    opt = torch.optim.AdamW([theta], lr=search["lr"], betas=(search["beta1"], search["beta2"]), eps=search["eps"],
                            weight_decay=search["weightDecay"])
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
print(json.dumps({"rowStepsPerSecond": rows * steps / seconds, "seeds": search["seeds"], "bestKl": final,
                  "torch": torch.__version__,
                  "transformers": tf.__version__, "threads": torch.get_num_threads(), "device": device,
                  "dtype": str(dtype).removeprefix("torch.")}))

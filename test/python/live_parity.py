"""Builds tiny random checkpoints with Hugging Face transformers itself and records its outputs,
for test/parity-live.test.ts. Usage: python live_parity.py OUT_DIR

Each case folder gets config.json + model.safetensors (save_pretrained) and golden.safetensors
with the same tensors as test/fixtures/hf-golden (inputs_embeds, logits_embeds, hidden_last,
target, kl, grad_embeds, input_ids, logits_ids)."""
import json
import os
import sys

import torch
from safetensors.torch import save_file
import transformers as tf

torch.manual_seed(0)
out_root = sys.argv[1]

CASES = {
    "gpt2_inverse_layer_idx": tf.GPT2Config(vocab_size=301, n_embd=48, n_layer=2, n_head=3, n_positions=64,
                                            scale_attn_by_inverse_layer_idx=True),
    "gpt2_gelu_exact_untied": tf.GPT2Config(vocab_size=257, n_embd=32, n_layer=3, n_head=2, n_positions=32,
                                            activation_function="gelu", tie_word_embeddings=False),
    "llama3_rope_scaling": tf.LlamaConfig(vocab_size=300, hidden_size=64, intermediate_size=96, num_hidden_layers=2,
                                          num_attention_heads=4, num_key_value_heads=1, rope_theta=500000.0,
                                          rope_scaling={"rope_type": "llama3", "factor": 32.0, "low_freq_factor": 1.0,
                                                        "high_freq_factor": 4.0,
                                                        "original_max_position_embeddings": 64},
                                          max_position_embeddings=4096, tie_word_embeddings=True),
    "llama_bias_mha": tf.LlamaConfig(vocab_size=200, hidden_size=48, intermediate_size=80, num_hidden_layers=2,
                                     num_attention_heads=3, num_key_value_heads=3, attention_bias=True, mlp_bias=True,
                                     tie_word_embeddings=False),
    "qwen2_gqa": tf.Qwen2Config(vocab_size=320, hidden_size=64, intermediate_size=112, num_hidden_layers=2,
                                num_attention_heads=4, num_key_value_heads=2, tie_word_embeddings=False),
    "falcon_new_decoder": tf.FalconConfig(vocab_size=256, hidden_size=64, num_hidden_layers=2, num_attention_heads=8,
                                          num_kv_heads=2, new_decoder_architecture=True, parallel_attn=True,
                                          bias=False, alibi=False),
    "falcon_sequential_bias": tf.FalconConfig(vocab_size=256, hidden_size=48, num_hidden_layers=2,
                                              num_attention_heads=4, multi_query=False, parallel_attn=False, bias=True,
                                              alibi=False),
}

only = os.environ.get("DISTPROMPT_LIVE_CASES")
for name, cfg in CASES.items():
    if only and name not in only.split(","):
        continue
    cfg._attn_implementation = "eager"
    model = tf.AutoModelForCausalLM.from_config(cfg).eval()
    # Default init is tiny; redraw so every weight matters to the comparison.
    with torch.no_grad():
        for n, p in model.named_parameters():
            p.copy_(torch.randn_like(p) * (0.2 if p.dim() > 1 else 0.1) + (1.0 if "norm" in n or "ln" in n else 0.0) * (p.dim() == 1))
    d = os.path.join(out_root, name)
    os.makedirs(d, exist_ok=True)
    model.save_pretrained(d, safe_serialization=True)
    B, L = 3, 5
    V = cfg.vocab_size
    emb = (torch.randn(B, L, cfg.hidden_size) * 0.5).requires_grad_(True)
    o = model(inputs_embeds=emb, output_hidden_states=True)
    logits = o.logits[:, -1]
    target = torch.softmax(torch.randn(B, V) * 3, -1)
    kl = (target * (target.log() - torch.log_softmax(logits, -1))).sum(-1)
    kl.sum().backward()
    ids = torch.randint(0, V, (B, L))
    with torch.no_grad():
        logits_ids = model(input_ids=ids).logits[:, -1]
    save_file({
        "inputs_embeds": emb.detach().contiguous(),
        "logits_embeds": logits.detach().contiguous(),
        "hidden_last": o.hidden_states[-1][:, -1].detach().contiguous(),
        "target": target.contiguous(),
        "kl": kl.detach().contiguous(),
        "grad_embeds": emb.grad.contiguous(),
        "input_ids": ids.contiguous(),
        "logits_ids": logits_ids.contiguous(),
    }, os.path.join(d, "golden.safetensors"))
print(json.dumps({"transformers": tf.__version__, "torch": torch.__version__}))

"""PyTorch (transformers GptOss, eager, CPU, float32) training steps on a packed dataset: the anchor
for bench/train. Loads the same GGUF weights as our trainer and runs the same step (forward, masked
cross-entropy normalized by trained tokens, backward, grad clip, AdamW) on the same samples.

Samples must hold one document each (the benchmark's dataset does): transformers' eager attention
has no block-causal packing, so each sample is one causal sequence. Prints one JSON line per step.

  python bench/train/torch_gpt_oss_step.py --model M.gguf --data DIR --steps 4 --threads 2
"""
import argparse
import json
import os
import time

import numpy as np
import torch
from gguf import GGUFReader
from transformers import GptOssConfig, GptOssForCausalLM


def field(reader, key):
    f = reader.fields[key]
    value = f.parts[f.data[0]]
    return value.tobytes().decode() if f.types[0].name == "STRING" else value[0].item()


def load_model(path, dtype=torch.float32):
    r = GGUFReader(path)
    arch = "gpt-oss"
    g = lambda k: field(r, f"{arch}.{k}")
    tensors = {t.name: np.array(t.data, dtype=np.float32) for t in r.tensors}
    config = GptOssConfig(
        vocab_size=tensors["token_embd.weight"].shape[0],
        hidden_size=g("embedding_length"),
        intermediate_size=g("expert_feed_forward_length"),
        num_hidden_layers=g("block_count"),
        num_attention_heads=g("attention.head_count"),
        num_key_value_heads=g("attention.head_count_kv"),
        head_dim=g("attention.key_length"),
        num_local_experts=g("expert_count"),
        num_experts_per_tok=g("expert_used_count"),
        sliding_window=g("attention.sliding_window"),
        rms_norm_eps=g("attention.layer_norm_rms_epsilon"),
        max_position_embeddings=g("context_length"),
        rope_parameters={
            "rope_type": "yarn", "rope_theta": g("rope.freq_base"), "factor": g("rope.scaling.factor"),
            "original_max_position_embeddings": g("rope.scaling.original_context_length"),
            "beta_fast": 32.0, "beta_slow": 1.0, "truncate": False,
        },
        layer_types=["sliding_attention" if i % 2 == 0 else "full_attention" for i in range(g("block_count"))],
        tie_word_embeddings=False,
    )
    config._attn_implementation = "eager"
    if dtype == torch.float64:  # the default grouped_mm experts kernel has no float64; the eager loop does
        config._experts_implementation = "eager"
    model = GptOssForCausalLM(config).to(dtype)
    t = lambda name: torch.from_numpy(tensors[name].copy()).to(dtype)
    sd = {"model.embed_tokens.weight": t("token_embd.weight"), "model.norm.weight": t("output_norm.weight"),
          "lm_head.weight": t("output.weight")}
    for l in range(config.num_hidden_layers):
        p, b = f"model.layers.{l}.", f"blk.{l}."
        sd[p + "input_layernorm.weight"] = t(b + "attn_norm.weight")
        sd[p + "post_attention_layernorm.weight"] = t(b + "post_attention_norm.weight")
        for ours, hf in (("attn_q", "q_proj"), ("attn_k", "k_proj"), ("attn_v", "v_proj"), ("attn_output", "o_proj")):
            sd[p + f"self_attn.{hf}.weight"] = t(b + ours + ".weight")
            sd[p + f"self_attn.{hf}.bias"] = t(b + ours + ".bias")
        sd[p + "self_attn.sinks"] = t(b + "attn_sinks.weight")
        sd[p + "mlp.router.weight"] = t(b + "ffn_gate_inp.weight")
        sd[p + "mlp.router.bias"] = t(b + "ffn_gate_inp.bias")
        gate, up = t(b + "ffn_gate_exps.weight"), t(b + "ffn_up_exps.weight")  # [X, F, E]
        gate_up = torch.empty(gate.shape[0], gate.shape[2], 2 * gate.shape[1], dtype=dtype)  # [X, E, 2F], gate on even columns
        gate_up[:, :, 0::2], gate_up[:, :, 1::2] = gate.transpose(1, 2), up.transpose(1, 2)
        bias = torch.empty(gate.shape[0], 2 * gate.shape[1], dtype=dtype)
        bias[:, 0::2], bias[:, 1::2] = t(b + "ffn_gate_exps.bias"), t(b + "ffn_up_exps.bias")
        sd[p + "mlp.experts.gate_up_proj"], sd[p + "mlp.experts.gate_up_proj_bias"] = gate_up, bias
        sd[p + "mlp.experts.down_proj"] = t(b + "ffn_down_exps.weight").transpose(1, 2).contiguous()  # [X, F, E]
        sd[p + "mlp.experts.down_proj_bias"] = t(b + "ffn_down_exps.bias")
    missing, unexpected = model.load_state_dict(sd, strict=False)
    missing = [m for m in missing if "rotary" not in m]
    if missing or unexpected:
        raise SystemExit(f"weight mapping mismatch: missing {missing}, unexpected {unexpected}")
    return model


def load_samples(data):
    manifest = json.load(open(os.path.join(data, "manifest.json")))
    L = manifest["seq_len"]
    out = []
    for shard in manifest["shards"]:
        f = {k: os.path.join(data, v["path"]) for k, v in shard["files"].items()}
        tokens = np.fromfile(f["tokens"], dtype=np.uint32).reshape(-1, L)
        mask = np.fromfile(f["mask"], dtype=np.uint8).reshape(-1, L)
        bounds, index = np.fromfile(f["bounds"], dtype=np.uint32), np.fromfile(f["bounds_index"], dtype=np.uint64)
        for i in range(tokens.shape[0]):
            b = bounds[index[i]:index[i + 1]]
            if len(b) != 2:
                raise SystemExit("the torch anchor needs one document per sample")
            n = int(b[1])
            ids = torch.from_numpy(tokens[i, :n].astype(np.int64))[None]
            labels = ids.clone()
            labels[0, torch.from_numpy(mask[i, :n] == 0)] = -100
            out.append((ids, labels))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--steps", type=int, default=4)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--lr", type=float, default=1e-5)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    model = load_model(args.model)
    samples = load_samples(args.data)
    decay = [p for n, p in model.named_parameters() if "embed_tokens" not in n and "norm" not in n]
    no_decay = [p for n, p in model.named_parameters() if "embed_tokens" in n or "norm" in n]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.95), eps=1e-8)
    model.train()
    for step in range(args.steps):
        ids, labels = samples[step % len(samples)]
        t0, cpu0 = time.perf_counter(), time.process_time()
        opt.zero_grad(set_to_none=True)
        loss = model(input_ids=ids, labels=labels).loss  # mean over the trained (label != -100) tokens
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        dt, cpu = time.perf_counter() - t0, time.process_time() - cpu0
        trained = int((labels[0, 1:] != -100).sum())
        print(json.dumps({"step": step + 1, "loss": loss.item(), "grad_norm": norm.item(), "tokens_trained": trained,
                          "tokens": ids.shape[1], "seconds": dt, "cpu_seconds": cpu, "tokens_per_s": trained / dt}), flush=True)


if __name__ == "__main__":
    main()

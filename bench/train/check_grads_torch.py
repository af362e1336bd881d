"""Golden-state check against an independent implementation (llm.c style): the loss and every
parameter tensor's gradient of our trainer (`train_gpt_oss grads`, float64) against PyTorch autograd
through transformers' GptOss (float64), same GGUF weights, same sample (one document, a mask of
trained spans). Both use the untruncated (HF) YaRN range. Prints one JSON line per tensor and a summary;
exits 1 if any tensor's max |ours - torch| / max |torch| exceeds --tol. transformers computes RoPE's
cos/sin in float32 even for a float64 model (GptOssRotaryEmbedding forces it), which bounds the
agreement at about 1e-6; hence the default tolerance.

  python bench/train/check_grads_torch.py --model M.gguf [--seq-len 300] [--tol 2e-5]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_gpt_oss_step import load_model  # noqa: E402


def write_sample(directory, tokens, mask):
    """One sample holding one document, in the packed format (docs/FORMAT.md)."""
    prefix = os.path.join(directory, "shard-00000")
    np.asarray(tokens, dtype=np.uint32).tofile(prefix + ".tokens.u32")
    np.asarray(mask, dtype=np.uint8).tofile(prefix + ".mask.u8")
    np.asarray([0, len(tokens)], dtype=np.uint32).tofile(prefix + ".bounds.u32")
    np.asarray([0, 2], dtype=np.uint64).tofile(prefix + ".bounds_index.u64")
    return prefix


def torch_grads(model):
    """Our tensor name -> gradient in our layout ([rows][cols] as GGUF stores them)."""
    out = {"token_embd.weight": model.model.embed_tokens.weight.grad, "output_norm.weight": model.model.norm.weight.grad,
           "output.weight": model.lm_head.weight.grad}
    for l, layer in enumerate(model.model.layers):
        b, a, mlp = f"blk.{l}.", layer.self_attn, layer.mlp
        out[b + "attn_norm.weight"] = layer.input_layernorm.weight.grad
        out[b + "post_attention_norm.weight"] = layer.post_attention_layernorm.weight.grad
        for ours, hf in (("attn_q", a.q_proj), ("attn_k", a.k_proj), ("attn_v", a.v_proj), ("attn_output", a.o_proj)):
            out[b + ours + ".weight"], out[b + ours + ".bias"] = hf.weight.grad, hf.bias.grad
        out[b + "attn_sinks.weight"] = a.sinks.grad
        out[b + "ffn_gate_inp.weight"], out[b + "ffn_gate_inp.bias"] = mlp.router.weight.grad, mlp.router.bias.grad
        gu, gub = mlp.experts.gate_up_proj.grad, mlp.experts.gate_up_proj_bias.grad  # [X, E, 2F], [X, 2F]
        out[b + "ffn_gate_exps.weight"] = gu[:, :, 0::2].transpose(1, 2)
        out[b + "ffn_up_exps.weight"] = gu[:, :, 1::2].transpose(1, 2)
        out[b + "ffn_gate_exps.bias"], out[b + "ffn_up_exps.bias"] = gub[:, 0::2], gub[:, 1::2]
        out[b + "ffn_down_exps.weight"] = mlp.experts.down_proj.grad.transpose(1, 2)  # [X, F, E] -> [X, E, F]
        out[b + "ffn_down_exps.bias"] = mlp.experts.down_proj_bias.grad
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--trainer", default="trainer/build/train_gpt_oss")
    ap.add_argument("--seq-len", type=int, default=300)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--tol", type=float, default=2e-5)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(7)
    n = args.seq_len
    tokens = rng.integers(0, 50_000, n)
    mask = (np.arange(n) % 50 >= 20).astype(np.uint8)  # trained spans; position 0 never trained
    mask[0] = 0
    with tempfile.TemporaryDirectory() as tmp:
        prefix = write_sample(tmp, tokens, mask)
        grads_path = os.path.join(tmp, "grads.f64")
        res = subprocess.run([args.trainer, "grads", "--model", args.model, "--shard", prefix, "--seq-len", str(n),
                              "--sample", "0", "--out", grads_path, "--rope-untruncated", "--threads", str(args.threads)],
                             check=True, capture_output=True, text=True)
        ours = json.loads(res.stdout)
        flat = np.fromfile(grads_path, dtype=np.float64)

    model = load_model(args.model, torch.float64)
    ids = torch.from_numpy(tokens.astype(np.int64))[None]
    labels = ids.clone()
    labels[0, torch.from_numpy(mask == 0)] = -100
    # transformers' ForCausalLM loss upcasts logits to float32; take the float64 logits instead
    logits = model(input_ids=ids).logits[0, :-1]
    loss = torch.nn.functional.cross_entropy(logits, labels[0, 1:], ignore_index=-100)
    loss.backward()
    theirs = torch_grads(model)

    worst, failed = 0.0, 0
    for t in ours["tensors"]:
        a = flat[t["offset"]:t["offset"] + t["size"]]
        b = theirs[t["name"]].detach().contiguous().numpy().reshape(-1)
        scale = float(np.abs(b).max())
        err = float(np.abs(a - b).max()) / scale if scale > 0 else float(np.abs(a).max())
        worst = max(worst, err)
        failed += err > args.tol or scale == 0
        print(json.dumps({"tensor": t["name"], "max_abs_grad": scale, "rel_error": err}))
    summary = {"loss_ours": ours["loss"], "loss_torch": loss.item(), "loss_rel_diff": abs(ours["loss"] - loss.item()) / loss.item(),
               "tensors": len(ours["tensors"]), "worst_rel_error": worst, "failed": failed,
               "torch": torch.__version__}
    print(json.dumps(summary))
    sys.exit(1 if failed or summary["loss_rel_diff"] > args.tol else 0)


if __name__ == "__main__":
    main()

"""PyTorch reference for tests/nn/attention_test.cpp -> fixtures/nn_attention.h5.

torch.nn.MultiheadAttention (need_weights=False) in two configurations, its parameters,
outputs and gradients in f64; and the learnable Fourier encoding (cos and sin of a
bias-free projection, each value twice) for LightGlue.
"""
import os

import h5py
import torch

torch.manual_seed(0)
out = {}


def record(name, mha, q, k, v, **masks):
    q, k, v = (t.clone().requires_grad_() for t in (q, k, v))
    y, _ = mha(q, k, v, need_weights=False, **masks)
    g = torch.randn_like(y)
    y.backward(g)
    for key, t in {"q": q, "k": k, "v": v, "y": y, "g": g, "gq": q.grad, "gk": k.grad, "gv": v.grad}.items():
        out[f"{name}/{key}"] = t.detach()
    for pname, p in mha.named_parameters():
        out[f"{name}/param/{pname}"] = p.detach()
        out[f"{name}/grad/{pname}"] = p.grad
    for mname, m in masks.items():
        out[f"{name}/{mname}"] = m


mha = torch.nn.MultiheadAttention(8, 2).double()
with torch.no_grad():
    mha.in_proj_bias.normal_(), mha.out_proj.bias.normal_()
kpm = torch.zeros(2, 7, dtype=torch.bool)
kpm[1, 5:] = True
am = torch.rand(5, 7) < 0.3
am[:, 0] = False  # every query keeps at least one key
record("seq_first", mha, torch.randn(5, 2, 8, dtype=torch.float64), torch.randn(7, 2, 8, dtype=torch.float64),
       torch.randn(7, 2, 8, dtype=torch.float64), key_padding_mask=kpm, attn_mask=am)

mha2 = torch.nn.MultiheadAttention(8, 4, bias=False, kdim=6, vdim=4, batch_first=True).double()
record("batch_first", mha2, torch.randn(3, 5, 8, dtype=torch.float64), torch.randn(3, 6, 6, dtype=torch.float64),
       torch.randn(3, 6, 4, dtype=torch.float64))

# Learnable Fourier encoding: x [B, N, M=2] -> cos, sin [B, 1, N, F=8]
wr = torch.randn(4, 2, dtype=torch.float64)
x = torch.randn(2, 5, 2, dtype=torch.float64)
proj = x @ wr.t()
out["fourier/wr"], out["fourier/x"] = wr, x
out["fourier/cos"] = proj.cos().repeat_interleave(2, dim=-1).unsqueeze(-3)
out["fourier/sin"] = proj.sin().repeat_interleave(2, dim=-1).unsqueeze(-3)

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "nn_attention.h5")
with h5py.File(path, "w") as f:
    for key, t in out.items():
        f.create_dataset(key, data=t.numpy())
print("wrote", path, len(out), "datasets")

"""PyTorch reference for tests/tensor/attention_test.cpp -> fixtures/attention.h5.

Debian's torch 1.13 has no scaled_dot_product_attention, so the reference is the explicit
softmax(scale Q K^T, masked) V, with rows that allow no key set to zero (sp's convention;
PyTorch gives NaN there). Outputs and the gradients of q, k and v in f64.
"""
import math
import os

import h5py
import torch

torch.manual_seed(0)
out = {}


def attention(q, k, v, mask, scale):
    s = torch.matmul(q, k.transpose(-1, -2)) * scale
    if mask is None:
        return torch.matmul(torch.softmax(s, -1), v)
    mask = mask.expand(s.shape)
    any_key = mask.any(-1, keepdim=True)
    s = s.masked_fill(~mask, float("-inf"))
    s = torch.where(any_key, s, torch.zeros_like(s))  # empty rows: a harmless softmax ...
    p = torch.softmax(s, -1) * any_key                 # ... then zeroed
    return torch.matmul(p, v)


def case(name, lead, n, m, d, dv, mask=None, scale=None):
    q = torch.randn(*lead, n, d, dtype=torch.float64, requires_grad=True)
    k = torch.randn(*lead, m, d, dtype=torch.float64, requires_grad=True)
    v = torch.randn(*lead, m, dv, dtype=torch.float64, requires_grad=True)
    s = scale if scale is not None else 1.0 / math.sqrt(d)
    y = attention(q, k, v, mask, s)
    g = torch.randn_like(y)
    y.backward(g)
    for key, t in {"q": q, "k": k, "v": v, "y": y, "g": g, "gq": q.grad, "gk": k.grad, "gv": v.grad}.items():
        out[f"{name}/{key}"] = t.detach()
    if mask is not None:
        out[f"{name}/mask"] = mask
    out[f"{name}/scale"] = torch.tensor([s if scale is not None else -1.0], dtype=torch.float64)


case("basic", [2, 3], 5, 7, 8, 6)
pad = torch.ones(2, 1, 1, 7, dtype=torch.bool)
pad[1, ..., 4:] = False
case("key_padding", [2, 3], 5, 7, 8, 8, mask=pad, scale=0.3)
full = torch.rand(5, 7) > 0.4
full[2] = False  # a row without keys
case("full_mask", [2, 3], 5, 7, 4, 4, mask=full)
empty = torch.ones(2, 1, 1, 6, dtype=torch.bool)
empty[0] = False  # a batch entry without keys
case("empty_batch", [2, 2], 3, 6, 5, 3, mask=empty)
big = torch.rand(1, 1, 150, 200) > 0.2
big[0, 0, 7] = False
case("blocks", [1, 2], 150, 200, 16, 24, mask=big)
case("one", [1], 1, 1, 3, 2)
case("no_lead", [], 9, 4, 5, 5)

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "attention.h5")
with h5py.File(path, "w") as f:
    for key, t in out.items():
        f.create_dataset(key, data=t.numpy())
print("wrote", path, len(out), "datasets")

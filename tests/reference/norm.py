#!/usr/bin/python3
"""Writes fixtures/norm.h5: batch_norm (train and eval) outputs, running stats, gradients."""
import os
import h5py
import torch
import torch.nn.functional as F

torch.manual_seed(0)
CASES = {"nchw": [3, 4, 5, 6], "nc": [7, 3], "ncl": [2, 5, 9], "batch1": [1, 2, 3, 3]}
MOMENTUM, EPS = 0.1, 1e-5

out_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "norm.h5")
with h5py.File(out_path, "w") as f:
    for name, shape in CASES.items():
        C = shape[1]
        x = (torch.randn(*shape, dtype=torch.float64) * 2 + 0.5).requires_grad_()
        w = torch.randn(C, dtype=torch.float64, requires_grad=True)
        b = torch.randn(C, dtype=torch.float64, requires_grad=True)
        rm, rv = torch.randn(C, dtype=torch.float64), torch.rand(C, dtype=torch.float64) + 0.5
        g = f.create_group(name)
        g["input"], g["weight"], g["bias"] = x.detach().numpy(), w.detach().numpy(), b.detach().numpy()
        g["running_mean"], g["running_var"] = rm.numpy(), rv.numpy()
        # Eval first (running stats untouched), then train (updates them).
        y = F.batch_norm(x, rm, rv, w, b, training=False, eps=EPS)
        go = torch.randn_like(y)
        y.backward(go)
        g["eval/out"], g["eval/grad_out"] = y.detach().numpy(), go.numpy()
        g["eval/grad_input"], g["eval/grad_weight"], g["eval/grad_bias"] = x.grad.numpy(), w.grad.numpy(), b.grad.numpy()
        x.grad = w.grad = b.grad = None
        rm2, rv2 = rm.clone(), rv.clone()
        y = F.batch_norm(x, rm2, rv2, w, b, training=True, momentum=MOMENTUM, eps=EPS)
        go = torch.randn_like(y)
        y.backward(go)
        g["train/out"], g["train/grad_out"] = y.detach().numpy(), go.numpy()
        g["train/running_mean"], g["train/running_var"] = rm2.numpy(), rv2.numpy()
        g["train/grad_input"], g["train/grad_weight"], g["train/grad_bias"] = x.grad.numpy(), w.grad.numpy(), b.grad.numpy()

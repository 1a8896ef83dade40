#!/usr/bin/python3
"""Writes fixtures/pool.h5: max_pool2d / avg_pool2d values, indices and gradients (float64)."""
import os
import h5py
import torch
import torch.nn.functional as F

torch.manual_seed(0)
# name: (input shape, kernel, stride, padding, dilation, ceil_mode, count_include_pad)
CASES = {
    "k2": ([2, 3, 8, 6], (2, 2), (2, 2), (0, 0), (1, 1), False, True),
    "odd": ([1, 2, 7, 9], (2, 2), (2, 2), (0, 0), (1, 1), False, True),
    "k3s2p1": ([2, 2, 9, 8], (3, 3), (2, 2), (1, 1), (1, 1), False, True),
    "k3s2p1_excl": ([2, 2, 9, 8], (3, 3), (2, 2), (1, 1), (1, 1), False, False),
    "ceil": ([1, 2, 7, 10], (3, 2), (2, 3), (1, 0), (1, 1), True, True),
    "overlap": ([1, 1, 6, 7], (3, 3), (1, 1), (0, 1), (1, 1), False, True),
    "dilation": ([1, 2, 9, 9], (3, 2), (1, 2), (1, 1), (2, 2), False, True),
    "unbatched": ([3, 5, 4], (2, 2), (1, 1), (1, 0), (1, 1), False, True),
    # SuperPoint's NMS window over a heatmap with plateaus: ties decide the indices.
    "ties_k9": ([2, 1, 14, 17], (9, 9), (1, 1), (4, 4), (1, 1), False, True),
}

out_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "pool.h5")
with h5py.File(out_path, "w") as f:
    for name, (shape, k, s, p, d, ceil, incl) in CASES.items():
        x = torch.randn(*shape, dtype=torch.float64)
        if name.startswith("ties"):
            x = torch.randint(0, 3, shape).to(torch.float64)
        x.requires_grad_(True)
        g = f.create_group(name)
        g["input"] = x.detach().numpy()
        g["args"] = torch.tensor([*k, *s, *p, *d, int(ceil), int(incl)]).numpy()
        y, idx = F.max_pool2d(x, k, s, p, d, ceil_mode=ceil, return_indices=True)
        go = torch.randn_like(y)
        y.backward(go)
        g["max/out"], g["max/indices"], g["max/grad_out"] = y.detach().numpy(), idx.numpy(), go.numpy()
        g["max/grad_input"] = x.grad.numpy()
        if d == (1, 1):
            x.grad = None
            y = F.avg_pool2d(x, k, s, p, ceil_mode=ceil, count_include_pad=incl)
            go = torch.randn_like(y)
            y.backward(go)
            g["avg/out"], g["avg/grad_out"], g["avg/grad_input"] = y.detach().numpy(), go.numpy(), x.grad.numpy()

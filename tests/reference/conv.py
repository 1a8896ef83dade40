#!/usr/bin/python3
"""Writes fixtures/conv.h5: conv2d forward and its gradients (float64) from PyTorch."""
import os
import h5py
import torch
import torch.nn.functional as F

torch.manual_seed(0)
# name: (input shape, out channels, kernel, stride, padding, dilation, groups, bias)
CASES = {
    "basic": ([2, 3, 7, 9], 4, (3, 3), (1, 1), (1, 1), (1, 1), 1, True),
    "stride2": ([1, 4, 11, 10], 6, (3, 3), (2, 2), (1, 1), (1, 1), 1, True),
    "dilation": ([2, 2, 9, 8], 3, (3, 3), (1, 1), (2, 2), (2, 2), 1, False),
    "groups": ([1, 6, 8, 7], 4, (3, 3), (2, 1), (1, 0), (1, 1), 2, True),
    "depthwise": ([2, 4, 6, 6], 8, (3, 3), (1, 1), (1, 1), (1, 1), 4, True),
    "pointwise": ([2, 5, 6, 5], 7, (1, 1), (1, 1), (0, 0), (1, 1), 1, False),
    "pointwise_stride": ([1, 3, 7, 7], 2, (1, 1), (2, 2), (0, 0), (1, 1), 1, True),
    "rect": ([1, 3, 5, 8], 2, (2, 3), (1, 2), (0, 1), (1, 1), 1, True),
    "big_pad": ([1, 2, 3, 3], 2, (3, 3), (1, 1), (3, 2), (1, 1), 1, True),
    # Many tiles whose boundaries fall inside output rows.
    "tiles": ([1, 16, 36, 40], 4, (3, 3), (1, 1), (1, 1), (1, 1), 1, True),
    "tiles_stride2": ([1, 16, 26, 30], 3, (3, 3), (2, 2), (1, 1), (1, 1), 1, True),
    # 3x3 stride 1 with >= 16 channels in and out: f32 takes the Winograd path. Odd output
    # sizes crop the last 2x2 tiles. (conv_test.cpp checks more shapes against f64.)
    "winograd": ([1, 16, 7, 9], 16, (3, 3), (1, 1), (1, 1), (1, 1), 1, True),
    "winograd_mixed_pad": ([1, 16, 6, 7], 17, (3, 3), (1, 1), (1, 0), (1, 1), 1, False),
}

out_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "conv.h5")
with h5py.File(out_path, "w") as f:
    for name, (shape, out_ch, k, s, p, d, g, has_bias) in CASES.items():
        x = torch.randn(*shape, dtype=torch.float64, requires_grad=True)
        w = torch.randn(out_ch, shape[1] // g, *k, dtype=torch.float64, requires_grad=True)
        b = torch.randn(out_ch, dtype=torch.float64, requires_grad=True) if has_bias else None
        y = F.conv2d(x, w, b, stride=s, padding=p, dilation=d, groups=g)
        go = torch.randn_like(y)
        y.backward(go)
        grp = f.create_group(name)
        grp["input"] = x.detach().numpy()
        grp["weight"] = w.detach().numpy()
        grp["out"] = y.detach().numpy()
        grp["grad_out"] = go.numpy()
        grp["grad_input"] = x.grad.numpy()
        grp["grad_weight"] = w.grad.numpy()
        grp["args"] = torch.tensor([*s, *p, *d, g], dtype=torch.int64).numpy()
        if has_bias:
            grp["bias"] = b.detach().numpy()
            grp["grad_bias"] = b.grad.numpy()

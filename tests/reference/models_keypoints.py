"""Reference values for models/keypoints.cpp (SuperPoint decoding), from PyTorch/numpy
re-statements of the official demo (superpoint.md 4.3, 4.4, 5.1, 8.1).
Run: /usr/bin/python3 tests/reference/models_keypoints.py"""
import os
import h5py
import numpy as np
import torch
import torch.nn.functional as F

torch.manual_seed(0)
rng = np.random.default_rng(0)
out = os.path.join(os.path.dirname(__file__), "fixtures", "models_keypoints.h5")

# Detector heatmap: softmax over 65, drop dustbin, depth-to-space (reshape/transpose of [ML]).
B, Hc, Wc = 2, 3, 5
logits = torch.randn(B, 65, Hc, Wc) * 3
prob = F.softmax(logits, dim=1)[:, :-1]
heat = prob.permute(0, 2, 3, 1).reshape(B, Hc, Wc, 8, 8).permute(0, 1, 3, 2, 4).reshape(B, Hc * 8, Wc * 8)


def nms_fast(heat, conf, dist, border):
    """The [ML] demo's grid NMS (a kept point zeroes the (2r+1)^2 square around it)
    followed by border removal, on a heatmap with distinct values."""
    H, W = heat.shape
    ys, xs = np.where(heat >= conf)
    c = heat[ys, xs]
    grid = np.ones((H + 2 * dist, W + 2 * dist), dtype=int)
    pts = []
    for i in np.argsort(-c, kind="stable"):
        y, x = ys[i] + dist, xs[i] + dist
        if grid[y, x] == 1:
            pts.append((xs[i], ys[i], c[i]))
            grid[y - dist:y + dist + 1, x - dist:x + dist + 1] = 0
    keep = [(x, y, s) for x, y, s in pts if border <= x < W - border and border <= y < H - border]
    return np.array(keep, dtype=np.float32).reshape(-1, 3)


hm = rng.random((40, 48)).astype(np.float32) ** 4
kp = nms_fast(hm, 0.05, 4, 4)

# Descriptor sampling: exact cell-centre mapping via grid_sample(align_corners=False).
D = 16
desc = torch.randn(1, D, Hc, Wc)
xy = torch.tensor([[3.5, 3.5], [10.0, 7.0], [8 * Wc - 4.5, 8 * Hc - 4.5], [17.25, 9.75]])
grid = torch.stack([2 * (xy[:, 0] + 0.5) / (8 * Wc) - 1, 2 * (xy[:, 1] + 0.5) / (8 * Hc) - 1], -1)
sampled = F.grid_sample(desc, grid.view(1, 1, -1, 2), mode="bilinear", align_corners=False)[0, :, 0].t()
sampled = F.normalize(sampled, dim=1)

# Cell targets ([PS] labels2Dto3D): space-to-depth, dustbin only for empty cells, normalise.
kmap = torch.zeros(16, 24)
kmap[1, 2] = 1
kmap[3, 5] = 1  # same cell as (1, 2)
kmap[9, 17] = 1
s2d = kmap.view(2, 8, 3, 8).permute(0, 2, 1, 3).reshape(2, 3, 64).permute(2, 0, 1)
dust = 1 - s2d.sum(0, keepdim=True)
dust[dust < 1.0] = 0
targets = torch.cat([s2d, dust], 0)
targets = targets / targets.sum(0, keepdim=True)

with h5py.File(out, "w") as f:
    f["logits"] = logits.numpy()
    f["heatmap"] = heat.numpy()
    f["nms_heat"] = hm
    f["nms_keypoints"] = kp
    f["desc"] = desc[0].numpy()
    f["desc_xy"] = xy.numpy()
    f["desc_sampled"] = sampled.numpy()
    f["kmap"] = kmap.numpy()
    f["targets"] = targets.numpy()
print("wrote", out, "with", len(kp), "keypoints")

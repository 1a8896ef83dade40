"""Golden SuperPoint losses for models/superpoint_loss.cpp (superpoint.md section 5), B=2,
24x32 images (3x4 cells), descriptor dim 16, computed without any chunking:
  detector: soft 65-channel targets ([PS] labels2Dto3D), cell valid mask = product of
    the 64 pixel masks; "ce" = -sum_c t_c log softmax_c, "bce" = [PS] BCE on softmax;
    loss = sum(mask * per_cell) / (sum(mask) + 1e-10) over the batch.
  descriptor: cell centres (8w + 3.5, 8h + 3.5), s = ||H c - c'|| <= 7.5,
    l = 250 s relu(1 - d.d') + (1 - s) relu(d.d' - 0.2), masked by the cell mask of the
    warped image, divided by Hc Wc max(sum mask', 1).
  total = ce(A) + ce(B) + lambda_loss * descriptor with lambda_loss = 0.5.
Run: /usr/bin/python3 -P tests/reference/models_superpoint_loss.py"""
import math
import os

import h5py
import numpy as np
import torch
import torch.nn.functional as F

torch.manual_seed(3)
B, D, H, W = 2, 16, 24, 32
Hc, Wc, N = H // 8, W // 8, (H // 8) * (W // 8)


def keypoint_map(points):
    m = torch.zeros(B, 1, H, W)
    for b, pts in enumerate(points):
        for x, y in pts:
            m[b, 0, y, x] = 1
    return m


def targets(labels):
    t = F.pixel_unshuffle(labels, 8)
    dustbin = 1 - t.sum(1, keepdim=True)
    dustbin[dustbin < 1] = 0
    t = torch.cat([t, dustbin], 1)
    return t / t.sum(1, keepdim=True)


def cell_mask(valid):
    return F.pixel_unshuffle(valid, 8).prod(1, keepdim=True)


def detector_loss(logits, labels, valid, kind):
    t, m = targets(labels), cell_mask(valid)
    if kind == "ce":
        per_cell = -(t * F.log_softmax(logits, 1)).sum(1, keepdim=True)
    else:
        per_cell = F.binary_cross_entropy(F.softmax(logits, 1), t, reduction="none").sum(1, keepdim=True)
    return (per_cell * m).sum() / (m.sum() + 1e-10)


def centers():
    ys, xs = torch.meshgrid(torch.arange(Hc, dtype=torch.float64), torch.arange(Wc, dtype=torch.float64), indexing="ij")
    return torch.stack([xs * 8 + 3.5, ys * 8 + 3.5], -1).reshape(N, 2)


def correspondence(h):
    c = centers()
    hom = torch.cat([c, torch.ones(N, 1, dtype=torch.float64)], 1) @ h.double().T
    warped = hom[:, :2] / hom[:, 2:]
    dist = (warped[:, None, :] - c[None, :, :]).norm(dim=-1)
    assert (dist - 7.5).abs().min() > 1e-3, "a cell pair sits on the 7.5 px boundary"
    return (dist <= 7.5).float()


def descriptor_loss(desc, wdesc, homs, wvalid):
    m = cell_mask(wvalid).reshape(B, 1, N)
    total = 0
    for b in range(B):
        s = correspondence(homs[b])
        dot = desc[b].reshape(D, N).T @ wdesc[b].reshape(D, N)
        l = 250 * s * F.relu(1 - dot) + (1 - s) * F.relu(dot - 0.2)
        total = total + (l * m[b]).sum()
    return total / (N * m.sum().clamp(min=1))


def homography(angle_deg, tx, ty, persp=0.0):
    a = math.radians(angle_deg)
    c = np.array([[1, 0, W / 2], [0, 1, H / 2], [0, 0, 1]])
    r = np.array([[math.cos(a), -math.sin(a), tx], [math.sin(a), math.cos(a), ty], [persp, 0, 1]])
    return torch.tensor(c @ r @ np.linalg.inv(c), dtype=torch.float32)


labels = keypoint_map([[(3, 2), (5, 6), (17, 9), (30, 20), (12, 21)], [(0, 0), (9, 9), (10, 9), (25, 4), (31, 23)]])
warped_labels = keypoint_map([[(4, 3), (18, 10), (29, 19)], [(1, 1), (8, 8), (9, 8), (26, 5), (14, 14)]])
valid = torch.ones(B, 1, H, W)
valid[1, :, :, 0:5] = 0
warped_valid = torch.ones(B, 1, H, W)
warped_valid[0, :, 20:, :] = 0
homs = torch.stack([homography(6, 5, -3, 1e-3), homography(-4, 8.3, 1.2)])

logits = (torch.randn(B, 65, Hc, Wc) * 2).requires_grad_()
warped_logits = (torch.randn(B, 65, Hc, Wc) * 2).requires_grad_()
desc = F.normalize(torch.randn(B, D, Hc, Wc), dim=1)
warped_desc = F.normalize(torch.randn(B, D, Hc, Wc), dim=1)
# Make some corresponding cells similar so positive terms are active and non-trivial.
warped_desc = F.normalize(warped_desc + 1.5 * desc, dim=1).requires_grad_()
desc.requires_grad_()

det = detector_loss(logits, labels, valid, "ce")
det_w = detector_loss(warped_logits, warped_labels, warped_valid, "ce")
dl = descriptor_loss(desc, warped_desc, homs, warped_valid)
total = det + det_w + 0.5 * dl
total.backward()
bce_logits = logits.detach().clone().requires_grad_()
det_bce = detector_loss(bce_logits, labels, valid, "bce")
det_bce.backward()

out = os.path.join(os.path.dirname(__file__), "fixtures", "models_superpoint_loss.h5")
with h5py.File(out, "w") as f:
    for name, t in [("logits", logits), ("warped_logits", warped_logits), ("descriptors", desc),
                    ("warped_descriptors", warped_desc), ("labels", labels), ("warped_labels", warped_labels),
                    ("valid_mask", valid), ("warped_valid_mask", warped_valid), ("homography", homs),
                    ("targets", targets(labels)), ("detector", det), ("detector_warped", det_w),
                    ("detector_bce", det_bce), ("descriptor", dl), ("total", total),
                    ("grad_logits", logits.grad), ("grad_warped_logits", warped_logits.grad),
                    ("grad_descriptors", desc.grad), ("grad_warped_descriptors", warped_desc.grad),
                    ("grad_logits_bce", bce_logits.grad)]:
        f[name] = t.detach().numpy()
print("wrote", out, "det", det.item(), "det_w", det_w.item(), "bce", det_bce.item(), "desc", dl.item())

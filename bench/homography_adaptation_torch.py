#!/usr/bin/env python3
"""PyTorch twin of `sptrain export_detector_homoAdapt` (train/homography_adaptation.cpp):
[PS]'s homography adaptation of MagicPoint (`export.py export_detector_homoAdapt_gpu`,
superpoint.md 6.1) done the PyTorch way, timed per image.

Per image: N homographies (index 0 the identity, the others sampled with the
[homography_adaptation.homographies] parameters of configs/magicpoint_coco_export.toml,
vectorized in NumPy), the image batch warped with F.grid_sample (bilinear, zero padding,
align_corners=True) in the normalized frame, one batched forward of the N warped copies
(or chunks of --batch-size), softmax + depth-to-space, the heatmaps times the valid masks
(nearest warp of ones) and the masks warped back with the inverse homographies (bilinear),
the masked mean sum_i U_i[P_i M_i] / sum_i U_i[M_i], then NMS ("maxpool": [SG]'s
simple_nms; "grid": [PS] getPtsFromHeatmap / [ML] nms_fast in NumPy), threshold 0.015,
border 4, the 5x5 sub-pixel centroid and top-k 600. --out writes <stem>.npz ("pts",
[K, 3] x, y, prob) per image as [PS] does.

The network is MagicPoint in sp's batch-norm layout ([PS] SuperPointNet_gauss2, detector
head only, eval-mode BN as sp's bn_batch_statistics = false), with the state_dict names of
models/superpoint.cpp (inc.conv.conv.0.weight, down1.mpconv.1.conv.0.weight, convPa,
bnPa, convPb, bnPb). Weights: the conv formula of bench/superpoint_inference_torch.py,
BN running statistics calibrated on a deterministic image and a dustbin bias so that the
heatmaps are peaked like a trained detector's. --save-weights PATH.pth writes them so
that sptrain loads the same ones (model.pretrained=PATH.pth); scripts/ha-bench.sh does.

  homography_adaptation_torch.py --json OUT [--images DIR | --num-images K] [--num 100]
      [--device cpu|cuda] [--threads 2] [--warmup 1] [--repeats 1] [--batch-size 0]
      [--nms maxpool|grid] [--out DIR] [--save-weights PATH.pth] [--tf32]
  homography_adaptation_torch.py --json X --write-images DIR [--num-images K] [--size H W]
"""
import argparse
import json
import math
import os
import statistics
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# configs/magicpoint_coco_export.toml [homography_adaptation.homographies] and [model].
HOMOGRAPHY = dict(translation=True, rotation=True, scaling=True, perspective=True, n_scales=5, n_angles=25,
                  scaling_amplitude=0.2, perspective_amplitude_x=0.2, perspective_amplitude_y=0.2,
                  patch_ratio=0.85, max_angle=math.pi / 2, allow_artifacts=True, translation_overflow=0.0)
DETECT = dict(threshold=0.015, nms_radius=4, border=4, top_k=600)


# ---------------------------------------------------------------- network (sp BN layout)
class DoubleConv(nn.Module):
    """[PS] double_conv: (conv 3x3 -> BN -> ReLU) x 2 under the name "conv"."""

    def __init__(self, cin, cout):
        super().__init__()
        self.conv = nn.Sequential(nn.Conv2d(cin, cout, 3, 1, 1), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
                                  nn.Conv2d(cout, cout, 3, 1, 1), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))

    def forward(self, x):
        return self.conv(x)


class InConv(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv = DoubleConv(cin, cout)

    def forward(self, x):
        return self.conv(x)


class Down(nn.Module):
    """[PS] down: max-pool 2x2 then double_conv, as Sequential "mpconv"."""

    def __init__(self, cin, cout):
        super().__init__()
        self.mpconv = nn.Sequential(nn.MaxPool2d(2), DoubleConv(cin, cout))

    def forward(self, x):
        return self.mpconv(x)


class MagicPointBN(nn.Module):
    """[PS] SuperPointNet_gauss2 without the descriptor head, names as sp's."""

    def __init__(self):
        super().__init__()
        c1, c3, c5 = 64, 128, 256
        self.inc = InConv(1, c1)
        self.down1 = Down(c1, c1)
        self.down2 = Down(c1, c3)
        self.down3 = Down(c3, c3)
        self.convPa = nn.Conv2d(c3, c5, 3, 1, 1)
        self.bnPa = nn.BatchNorm2d(c5)
        self.convPb = nn.Conv2d(c5, 65, 1, 1, 0)
        self.bnPb = nn.BatchNorm2d(65)

    def forward(self, x):
        x = self.down3(self.down2(self.down1(self.inc(x))))
        return self.bnPb(self.convPb(F.relu(self.bnPa(self.convPa(x)))))


def test_image(h, w, i=0):
    """Deterministic gray image in [0, 1]: sines and a checkerboard (8-bit quantized)."""
    y = torch.arange(h, dtype=torch.float64).view(h, 1)
    x = torch.arange(w, dtype=torch.float64).view(1, w)
    cell = 12 + 4 * i
    checker = (torch.div(x, cell, rounding_mode="floor") + torch.div(y, cell, rounding_mode="floor")) % 2
    img = 0.5 + 0.2 * torch.sin((0.05 + 0.02 * i) * x) * torch.cos(0.07 * y) + 0.3 * checker - 0.15
    img = torch.round(img.clamp(0, 1) * 255) / 255
    return img.float().view(1, 1, h, w)


def deterministic_weights(net):
    """Conv j, element i: 0.5 sin(0.37 i + 1.3 j) / sqrt(fan_in) (the inference twin's
    formula); BN affine 1 / 0; running stats from one pass over a calibration image; the
    dustbin logit shifted by +5 so few pixels exceed the threshold."""
    with torch.no_grad():
        convs = [m for m in net.modules() if isinstance(m, nn.Conv2d)]
        for j, p in enumerate(q for m in convs for q in (m.weight, m.bias)):
            fan_in = p.numel() // p.shape[0] if p.dim() > 1 else convs[j // 2].weight[0].numel()
            i = torch.arange(p.numel(), dtype=torch.float64)
            p.copy_((0.5 * torch.sin(0.37 * i + 1.3 * j) / math.sqrt(fan_in)).float().view_as(p))
        for m in net.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.reset_running_stats()
                m.momentum = None  # cumulative average: one pass gives the batch statistics
        net.train()
        net(torch.cat([test_image(240, 320, k) for k in range(2)]))
        net.eval()
        for m in net.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.momentum = 0.1
                m.num_batches_tracked.zero_()
        net.bnPb.bias[64] = 5.0
    return net


# ---------------------------------------------------------------- homographies (NumPy)
def truncated_normal(rng, mean, std, size):
    """Normal truncated at +-2 std (rejection), as scipy truncnorm(-2, 2) / tf.truncated_normal."""
    out = rng.normal(mean, std, size)
    bad = np.abs(out - mean) > 2 * std
    while bad.any():
        out[bad] = rng.normal(mean, std, int(bad.sum()))
        bad = np.abs(out - mean) > 2 * std
    return out


def pick_valid(rng, valid, default):
    """Per row of valid [N, K], a uniformly chosen True column (default when none)."""
    r = rng.random((valid.shape[0], 1))
    counts = valid.sum(1, keepdims=True)
    target = np.floor(r * np.maximum(counts, 1)).astype(np.int64)  # rank among the valid ones
    rank = np.cumsum(valid, 1) - 1
    idx = np.argmax(valid & (rank == target), 1)
    return np.where(counts[:, 0] > 0, idx, default)


def sample_homographies(n, rng, p=HOMOGRAPHY):
    """[n, 3, 3] normalized-frame homographies (output -> input), [PS] sample_homography_np
    with sp's decisions (data/homography.h): scale candidates 1..n_scales with artifacts,
    inside = [0, 1]. Vectorized over n."""
    pr = p["patch_ratio"]
    margin = (1 - pr) / 2
    pts1 = np.array([[0, 0], [0, 1], [1, 1], [1, 0]], np.float64)
    pts2 = np.broadcast_to(margin + np.array([[0, 0], [0, pr], [pr, pr], [pr, 0]]), (n, 4, 2)).copy()
    inside = lambda c: ((c >= 0) & (c <= 1)).all(axis=(-1, -2))
    if p["perspective"]:
        ax, ay = p["perspective_amplitude_x"], p["perspective_amplitude_y"]
        if not p["allow_artifacts"]:
            ax, ay = min(ax, margin), min(ay, margin)
        d = truncated_normal(rng, 0, ay / 2, n)
        hl = truncated_normal(rng, 0, ax / 2, n)
        hr = truncated_normal(rng, 0, ax / 2, n)
        pts2 += np.stack([np.stack([hl, d], 1), np.stack([hl, -d], 1), np.stack([hr, d], 1),
                          np.stack([hr, -d], 1)], 1)
    if p["scaling"]:
        scales = np.concatenate([np.ones((n, 1)), truncated_normal(rng, 1, p["scaling_amplitude"] / 2,
                                                                   (n, p["n_scales"]))], 1)
        c = pts2.mean(1, keepdims=True)
        cand = (pts2[:, None] - c[:, None]) * scales[:, :, None, None] + c[:, None]  # [n, S+1, 4, 2]
        valid = np.zeros(scales.shape, bool)
        if p["allow_artifacts"]:
            valid[:, 1:] = True
        else:
            valid = inside(cand)
        pts2 = cand[np.arange(n), pick_valid(rng, valid, 0)]
    if p["translation"]:
        t_min = pts2.min(1)
        t_max = (1 - pts2).min(1)
        if p["allow_artifacts"]:
            t_min, t_max = t_min + p["translation_overflow"], t_max + p["translation_overflow"]
        # low + (high - low) U: NumPy's legacy uniform, which also accepts low > high ([PS]).
        pts2 = pts2 + (-t_min + (t_max + t_min) * rng.random(t_min.shape))[:, None, :]
    if p["rotation"]:
        k = p["n_angles"]
        angles = np.concatenate([np.linspace(-p["max_angle"], p["max_angle"], k), [0.0]])
        rot = np.stack([np.stack([np.cos(angles), -np.sin(angles)], -1),
                        np.stack([np.sin(angles), np.cos(angles)], -1)], -2)  # [K+1, 2, 2]
        c = pts2.mean(1, keepdims=True)
        cand = np.einsum("nij,kjl->nkil", pts2 - c, rot) + c[:, None]
        if p["allow_artifacts"]:
            valid = np.zeros((n, k + 1), bool)
            valid[:, :k] = True
        else:
            valid = inside(cand)
        pts2 = cand[np.arange(n), pick_valid(rng, valid, k)]
    src, dst = pts1 * 2 - 1, pts2 * 2 - 1
    # cv2.getPerspectiveTransform(src, dst) for each n: dst ~ H src, h33 = 1.
    a = np.zeros((n, 8, 8))
    b = np.zeros((n, 8))
    for i in range(4):
        x, y = src[i]
        u, v = dst[:, i, 0], dst[:, i, 1]
        a[:, i, 0:3] = [x, y, 1]
        a[:, i, 6], a[:, i, 7] = -x * u, -y * u
        a[:, i + 4, 3:6] = [x, y, 1]
        a[:, i + 4, 6], a[:, i + 4, 7] = -x * v, -y * v
        b[:, i], b[:, i + 4] = u, v
    h = np.concatenate([np.linalg.solve(a, b[..., None])[..., 0], np.ones((n, 1))], 1)
    return h.reshape(n, 3, 3)


def adaptation_homographies(num, seed):
    h = np.broadcast_to(np.eye(3), (num, 3, 3)).copy()
    if num > 1:
        h[1:] = sample_homographies(num - 1, np.random.default_rng(seed))
    return h


# ---------------------------------------------------------------- warps and aggregation
def homography_grid(h, height, width):
    """[N, H, W, 2] grid_sample coordinates of H_n p_n for every output pixel (normalized
    frame, align_corners=True): [PS] inv_warp_image_batch's grid."""
    dev = h.device
    ys = torch.linspace(-1, 1, height, device=dev, dtype=h.dtype)
    xs = torch.linspace(-1, 1, width, device=dev, dtype=h.dtype)
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")
    pts = torch.stack([gx, gy, torch.ones_like(gx)], -1).view(1, -1, 3)  # [1, HW, 3]
    warped = pts @ h.transpose(1, 2)  # [N, HW, 3]
    return (warped[..., :2] / warped[..., 2:]).view(-1, height, width, 2).float()


def adapted_heatmap(net, image, h, batch_size=0):
    """image [1, 1, H, W], h [N, 3, 3] f64 on the device -> the masked mean heatmap [H, W]."""
    _, _, height, width = image.shape
    n = h.shape[0]
    chunk = min(batch_size, n) if batch_size > 0 else n
    total = torch.zeros(1, 1, height, width, device=image.device)
    count = torch.zeros_like(total)
    for s in range(0, n, chunk):
        hs = h[s:s + chunk]
        k = hs.shape[0]
        fwd = homography_grid(hs, height, width)
        bwd = homography_grid(torch.linalg.inv(hs), height, width)
        warped = F.grid_sample(image.expand(k, 1, height, width), fwd, mode="bilinear", padding_mode="zeros",
                               align_corners=True)
        mask = F.grid_sample(torch.ones(k, 1, height, width, device=image.device), fwd, mode="nearest",
                             padding_mode="zeros", align_corners=True)
        semi = net(warped)
        prob = F.pixel_shuffle(F.softmax(semi, 1)[:, :-1], 8) * mask
        total += F.grid_sample(prob, bwd, mode="bilinear", align_corners=True).sum(0, keepdim=True)
        count += F.grid_sample(mask, bwd, mode="bilinear", align_corners=True).sum(0, keepdim=True)
    return torch.where(count > 0, total / count.clamp_min(1e-12), torch.zeros_like(total))[0, 0]


# ---------------------------------------------------------------- points
def simple_nms(scores, r):
    """[SG] simple_nms on [B, H, W] (sp's maxpool_nms)."""
    pool = lambda x: F.max_pool2d(x, kernel_size=2 * r + 1, stride=1, padding=r)
    zeros = torch.zeros_like(scores)
    max_mask = scores == pool(scores)
    for _ in range(2):
        supp = pool(max_mask.float()) > 0
        supp_scores = torch.where(supp, zeros, scores)
        max_mask = max_mask | ((supp_scores == pool(supp_scores)) & ~supp)
    return torch.where(max_mask, scores, zeros)


def nms_fast(corners, h, w, dist):
    """[ML] nms_fast (used by [PS] getPtsFromHeatmap): corners [3, K] (x, y, prob)."""
    grid = np.zeros((h, w), int)
    inds = np.zeros((h, w), int)
    order = np.argsort(-corners[2])
    corners = corners[:, order]
    rc = corners[:2].round().astype(int)
    if rc.shape[1] == 0:
        return np.zeros((3, 0))
    if rc.shape[1] == 1:
        return corners
    grid[rc[1], rc[0]] = 1
    inds[rc[1], rc[0]] = np.arange(rc.shape[1])
    pad = dist
    grid = np.pad(grid, ((pad, pad), (pad, pad)), mode="constant")
    for i in range(rc.shape[1]):
        px, py = rc[0, i] + pad, rc[1, i] + pad
        if grid[py, px] == 1:
            grid[py - pad:py + pad + 1, px - pad:px + pad + 1] = 0
            grid[py, px] = -1
    ky, kx = np.where(grid == -1)
    out = corners[:, inds[ky - pad, kx - pad]]
    return out[:, np.argsort(-out[2])]


def subpixel(heat, xy):
    """Intensity-weighted centroid of the 5x5 patch around each point (zero padding)."""
    if xy.shape[0] == 0:
        return xy
    hp = F.pad(heat, (2, 2, 2, 2))
    d = torch.arange(-2, 3, device=heat.device)
    xi, yi = xy[:, 0].round().long(), xy[:, 1].round().long()
    patch = hp[(yi[:, None, None] + 2 + d[None, :, None]), (xi[:, None, None] + 2 + d[None, None, :])]  # [K,5,5]
    s = patch.sum((1, 2))
    dx = (patch * d[None, None, :]).sum((1, 2)) / s.clamp_min(1e-12)
    dy = (patch * d[None, :, None]).sum((1, 2)) / s.clamp_min(1e-12)
    ok = s > 0
    return torch.stack([torch.where(ok, xi + dx, xy[:, 0]), torch.where(ok, yi + dy, xy[:, 1])], 1)


def heatmap_points(heat, nms, o=DETECT):
    """[K, 3] (x, y, prob) by descending prob: NMS, threshold, border, sub-pixel, top-k."""
    hh, ww = heat.shape
    b = o["border"]
    if nms == "grid":
        hn = heat.cpu().numpy()
        ys, xs = np.where(hn >= o["threshold"])
        pts = nms_fast(np.stack([xs, ys, hn[ys, xs]]).astype(np.float64), hh, ww, o["nms_radius"])
        keep = (pts[0] >= b) & (pts[0] < ww - b) & (pts[1] >= b) & (pts[1] < hh - b)
        pts = torch.from_numpy(pts[:, keep].T.copy()).float().to(heat.device)
        xy, s = pts[:, :2], pts[:, 2]
    else:
        nmsed = simple_nms(heat[None], o["nms_radius"])[0]
        ys, xs = torch.nonzero(nmsed >= o["threshold"], as_tuple=True)
        keep = (xs >= b) & (xs < ww - b) & (ys >= b) & (ys < hh - b)
        ys, xs = ys[keep], xs[keep]
        s = heat[ys, xs]
        s, order = torch.sort(s, descending=True, stable=True)
        xy = torch.stack([xs[order], ys[order]], 1).float()
    xy = subpixel(heat, xy)[:o["top_k"]]
    return torch.cat([xy, s[:o["top_k"], None]], 1)


# ---------------------------------------------------------------- images and the run
def image_seed(seed, stem):
    """Per-image seed from the stem (FNV-1a), so every run samples the same homographies."""
    hsh = 1469598103934665603
    for c in stem.encode():
        hsh = ((hsh ^ c) * 1099511628211) % (1 << 64)
    return (hsh ^ seed) % (1 << 63)


def read_pgm(path):
    """Binary 8-bit PGM (P5) without OpenCV."""
    with open(path, "rb") as f:
        data = f.read()
    fields, pos = [], 0
    while len(fields) < 4:  # magic, width, height, maxval; '#' comments skipped
        while data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b"#":
            pos = data.index(b"\n", pos)
            continue
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    assert fields[0] == b"P5" and int(fields[3]) < 256, f"{path}: expected an 8-bit binary PGM"
    w, h = int(fields[1]), int(fields[2])
    return np.frombuffer(data[pos + 1:pos + 1 + w * h], np.uint8).reshape(h, w)


def write_pgm(path, img):
    with open(path, "wb") as f:
        f.write(b"P5\n%d %d\n255\n" % (img.shape[1], img.shape[0]) + img.tobytes())


def load_images(folder, size):
    """Gray images below folder (sorted), resized with INTER_AREA as sp's folder dataset;
    .pgm files need no OpenCV."""
    exts = (".png", ".jpg", ".jpeg", ".pgm", ".ppm", ".bmp")
    paths = sorted(os.path.join(r, f) for r, _, fs in os.walk(folder) for f in fs if f.lower().endswith(exts))
    out = []
    for path in paths:
        if path.lower().endswith(".pgm"):
            img = read_pgm(path)
        else:
            import cv2
            img = cv2.imread(path, cv2.IMREAD_GRAYSCALE)
        if img.shape != tuple(size):
            import cv2
            img = cv2.resize(img, (size[1], size[0]), interpolation=cv2.INTER_AREA)
        stem = os.path.splitext(os.path.basename(path))[0]
        out.append((stem, torch.from_numpy(img.astype(np.float32) / 255.0).view(1, 1, *size)))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--json", required=True)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--images", default="", help="folder of images (.pgm natively, others with cv2); default generated ones")
    ap.add_argument("--num-images", type=int, default=4, help="generated images when --images is not given")
    ap.add_argument("--size", type=int, nargs=2, default=[240, 320])
    ap.add_argument("--num", type=int, default=100, help="homographies per image, index 0 the identity")
    ap.add_argument("--batch-size", type=int, default=0, help="views per forward (0 = all N)")
    ap.add_argument("--nms", choices=["maxpool", "grid"], default="maxpool")
    ap.add_argument("--warmup", type=int, default=1, help="untimed images first")
    ap.add_argument("--repeats", type=int, default=1, help="timed passes over the images")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--tf32", action="store_true",
                    help="TF32 tensor cores for convolutions (PyTorch's cuDNN default; off here, as in sp, unless given)")
    ap.add_argument("--out", default="", help="write <stem>.npz (pts [K, 3]) per image here")
    ap.add_argument("--save-weights", default="", help="write the network's state_dict (.pth)")
    ap.add_argument("--write-images", default="", 
                    help="write the --num-images generated images as PGMs here (and --save-weights), then stop")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.backends.cudnn.allow_tf32 = a.tf32
    torch.backends.cuda.matmul.allow_tf32 = a.tf32
    dev = torch.device(a.device)
    net = deterministic_weights(MagicPointBN())
    if a.save_weights:
        torch.save(net.state_dict(), a.save_weights)
    if a.write_images:
        os.makedirs(a.write_images, exist_ok=True)
        for i in range(a.num_images):
            img = (test_image(a.size[0], a.size[1], i)[0, 0].numpy() * 255).round().astype(np.uint8)
            write_pgm(os.path.join(a.write_images, f"img{i}.pgm"), img)
        return
    net = net.to(dev).eval()
    if a.images:
        images = load_images(a.images, a.size)
    else:
        images = [(f"img{i}", test_image(a.size[0], a.size[1], i)) for i in range(a.num_images)]
    if a.out:
        os.makedirs(a.out, exist_ok=True)
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)

    def one(stem, img):
        with torch.no_grad():
            h = torch.from_numpy(adaptation_homographies(a.num, image_seed(a.seed, stem))).to(dev)
            heat = adapted_heatmap(net, img.to(dev), h, a.batch_size)
            pts = heatmap_points(heat, a.nms).cpu().numpy()
        if a.out:
            np.savez_compressed(os.path.join(a.out, stem + ".npz"), pts=pts)
        sync()
        return pts.shape[0]

    for k in range(a.warmup):
        one(*images[k % len(images)])
    ms, points = [], []
    t_all = time.perf_counter()
    for _ in range(a.repeats):
        for stem, img in images:
            t0 = time.perf_counter()
            points.append(one(stem, img))
            ms.append((time.perf_counter() - t0) * 1e3)
    wall = time.perf_counter() - t_all
    med = statistics.median(ms)
    rate = 1e3 / med
    print(f"homography_adaptation_torch: {len(images)} images {a.size[0]}x{a.size[1]}, num {a.num}, "
          f"batch {a.batch_size or a.num}, nms {a.nms}, {a.device}, {torch.get_num_threads()} threads: "
          f"median {med:.1f} ms/image, min {min(ms):.1f} ms ({rate:.3f} images/s, "
          f"{rate * a.num:.1f} network images/s; loop {len(ms) / wall:.3f} images/s), "
          f"points/image {statistics.median(points):.0f}")
    result = {"framework": "torch " + torch.__version__, "device": a.device, "threads": torch.get_num_threads(),
              "images": len(images), "size": a.size, "num": a.num, "batch_size": a.batch_size, "nms": a.nms,
              "tf32": a.tf32, "median_ms": med, "min_ms": min(ms), "images_per_s": rate, "loop_images_per_s": len(ms) / wall,
              "points_median": statistics.median(points), "per_image_ms": ms}
    with open(a.json, "w") as f:
        json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()

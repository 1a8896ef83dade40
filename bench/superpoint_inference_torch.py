#!/usr/bin/env python3
"""PyTorch twin of bench/superpoint_inference_bench.cpp: SuperPoint ([ML] network, the
deterministic weights and image of the C++ bench) at batch 1, forward under no_grad plus
[SG]'s post-processing (softmax, depth-to-space, simple_nms by max-pooling, threshold,
border, top-k, bilinear descriptor sampling, L2 normalization), timed to a synchronize.

  superpoint_inference_torch.py [--json OUT] [--device cpu|cuda] [--threads 2] [--warmup 3] [--iters 15] [--tf32]

TF32 convolutions (PyTorch's cuDNN default) only with --tf32, as in the C++ bench.
"""
import argparse
import json
import math
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class SuperPointNet(nn.Module):
    def __init__(self):
        super().__init__()
        c1, c2, c3, c4, c5, d1 = 64, 64, 128, 128, 256, 256
        self.conv1a = nn.Conv2d(1, c1, 3, 1, 1)
        self.conv1b = nn.Conv2d(c1, c1, 3, 1, 1)
        self.conv2a = nn.Conv2d(c1, c2, 3, 1, 1)
        self.conv2b = nn.Conv2d(c2, c2, 3, 1, 1)
        self.conv3a = nn.Conv2d(c2, c3, 3, 1, 1)
        self.conv3b = nn.Conv2d(c3, c3, 3, 1, 1)
        self.conv4a = nn.Conv2d(c3, c4, 3, 1, 1)
        self.conv4b = nn.Conv2d(c4, c4, 3, 1, 1)
        self.convPa = nn.Conv2d(c4, c5, 3, 1, 1)
        self.convPb = nn.Conv2d(c5, 65, 1, 1, 0)
        self.convDa = nn.Conv2d(c4, c5, 3, 1, 1)
        self.convDb = nn.Conv2d(c5, d1, 1, 1, 0)

    def forward(self, x):
        pool = lambda t: F.max_pool2d(t, 2, 2)
        x = F.relu(self.conv1a(x))
        x = pool(F.relu(self.conv1b(x)))
        x = F.relu(self.conv2a(x))
        x = pool(F.relu(self.conv2b(x)))
        x = F.relu(self.conv3a(x))
        x = pool(F.relu(self.conv3b(x)))
        x = F.relu(self.conv4a(x))
        x = F.relu(self.conv4b(x))
        semi = self.convPb(F.relu(self.convPa(x)))
        desc = self.convDb(F.relu(self.convDa(x)))
        return semi, F.normalize(desc, p=2, dim=1)


def fill_deterministic(net):
    sd = net.state_dict()
    for j, (name, p) in enumerate(sd.items()):
        w = sd[name.replace("bias", "weight")]
        fan_in = w[0].numel()
        i = torch.arange(p.numel(), dtype=torch.float64)
        p.copy_((0.5 * torch.sin(0.37 * i + 1.3 * j) / math.sqrt(fan_in)).float().view_as(p))


def test_image(h, w):
    y = torch.arange(h, dtype=torch.float64).view(h, 1)
    x = torch.arange(w, dtype=torch.float64).view(1, w)
    checker = ((torch.div(x, 16, rounding_mode="floor") + torch.div(y, 16, rounding_mode="floor")) % 2)
    img = 0.5 + 0.25 * torch.sin(0.21 * x) * torch.cos(0.17 * y) + 0.25 * checker - 0.125
    return img.float().view(1, 1, h, w)


def simple_nms(scores, r):
    def max_pool(x):
        return F.max_pool2d(x, kernel_size=r * 2 + 1, stride=1, padding=r)
    zeros = torch.zeros_like(scores)
    max_mask = scores == max_pool(scores)
    for _ in range(2):
        supp_mask = max_pool(max_mask.float()) > 0
        supp_scores = torch.where(supp_mask, zeros, scores)
        new_max_mask = supp_scores == max_pool(supp_scores)
        max_mask = max_mask | (new_max_mask & (~supp_mask))
    return torch.where(max_mask, scores, zeros)


def detect(semi, desc, threshold=0.015, nms_radius=4, border=4, top_k=1000):
    b, _, hc, wc = semi.shape
    scores = F.softmax(semi, 1)[:, :-1]
    scores = F.pixel_shuffle(scores, 8)[:, 0]  # [B, H, W]
    scores = simple_nms(scores, nms_radius)[0]
    h, w = scores.shape
    ys, xs = torch.nonzero(scores >= threshold, as_tuple=True)
    keep = (xs >= border) & (xs < w - border) & (ys >= border) & (ys < h - border)
    ys, xs = ys[keep], xs[keep]
    s = scores[ys, xs]
    if top_k > 0 and s.numel() > top_k:
        s, idx = torch.topk(s, top_k)
        ys, xs = ys[idx], xs[idx]
    kp = torch.stack([xs, ys], 1).float()
    u = (kp[:, 0] - 3.5) / 8 / (wc - 1) * 2 - 1
    v = (kp[:, 1] - 3.5) / 8 / (hc - 1) * 2 - 1
    grid = torch.stack([u, v], 1).clamp(-1, 1).view(1, 1, -1, 2)
    d = F.grid_sample(desc, grid, mode="bilinear", align_corners=True)[0, :, 0].t()
    return kp, s, F.normalize(d, p=2, dim=1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--json", help="also write the results here (the table goes to stdout)")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--iters", type=int, default=15)
    ap.add_argument("--tf32", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.backends.cudnn.allow_tf32 = a.tf32
    torch.backends.cuda.matmul.allow_tf32 = a.tf32
    dev = torch.device(a.device)
    net = SuperPointNet().eval()
    with torch.no_grad():
        fill_deterministic(net)
    net = net.to(dev)
    results = []
    for h, w in [(240, 320), (480, 640)]:
        image = test_image(h, w).to(dev)

        def run():
            with torch.no_grad():
                semi, desc = net(image)
                kp, s, d = detect(semi, desc)
            if dev.type == "cuda":
                torch.cuda.synchronize()
            return kp.shape[0]

        for _ in range(a.warmup):
            run()
        ms = []
        for _ in range(a.iters):
            t0 = time.perf_counter()
            n = run()
            ms.append((time.perf_counter() - t0) * 1e3)
        med = statistics.median(ms)
        print(f"infer/{h}x{w}  median {med:8.3f} ms  min {min(ms):8.3f} ms  keypoints {n}")
        results.append({"name": f"infer/{h}x{w}", "median_ms": med, "min_ms": min(ms), "keypoints": n})
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"framework": "torch " + torch.__version__, "device": a.device, "tf32": a.tf32,
                       "results": results}, f, indent=2)


if __name__ == "__main__":
    main()

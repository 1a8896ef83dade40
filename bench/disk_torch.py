"""The PyTorch twin of bench/disk_bench.cpp (same image, same workload, same output line):
  extract: kornia's DISK (pad_if_not_divisible, n = 2048) on one RGB image, no grad;
  match:   DISK's match.py logic (matchers.md 4.4): distances sqrt(2) sqrt(max(1 - a.b,
           1e-6)), the two nearest neighbours by topk, ratio test < rt one way, done in both
           directions, kept when mutual (torch.unique over both directions' pairs).
Run with PyTorch 2.x + kornia: python -P bench/disk_torch.py extract --weights FILE --size 1024"""
import argparse
import math
import time

import torch
from kornia.feature import DISK


def test_image(size):
    y = torch.arange(size, dtype=torch.float64)[:, None]
    x = torch.arange(size, dtype=torch.float64)[None, :]
    channels = []
    for c in range(3):
        check = (((x // 16) + (y // 16)) % 2).double()
        channels.append(0.5 + 0.25 * torch.sin(0.21 * x + c) * torch.cos(0.17 * y) + 0.25 * check - 0.125)
    return torch.stack(channels)[None].float()


def distance_matrix(a, b):
    return math.sqrt(2) * torch.sqrt(torch.clamp(1 - a @ b.T, min=1e-6))


def ratio_one_way(d, rt):
    val, ix = torch.topk(d, k=2, dim=1, largest=False)
    passed = val[:, 0] / val[:, 1] < rt
    rows = torch.arange(d.shape[0], device=d.device)[passed]
    return torch.stack([rows, ix[passed, 0]])


def match(d1, d2, rt):
    fwd = ratio_one_way(distance_matrix(d1, d2), rt)
    bck = ratio_one_way(distance_matrix(d2, d1), rt).flip(0)
    merged = torch.cat([fwd, bck], dim=1)
    unique, counts = torch.unique(merged, dim=1, return_counts=True)
    return unique[:, counts == 2]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["extract", "match"])
    p.add_argument("--weights", default="")
    p.add_argument("--size", type=int, default=1024)
    p.add_argument("--keypoints", type=int, default=2048)
    p.add_argument("--pairs", type=int, default=16)
    p.add_argument("--device", default="cpu")
    p.add_argument("--iters", type=int, default=5)
    p.add_argument("--warmup", type=int, default=1)
    a = p.parse_args()
    torch.set_grad_enabled(False)
    dev = torch.device(a.device)
    sync = (lambda: torch.cuda.synchronize()) if dev.type == "cuda" else (lambda: None)
    times = []
    if a.mode == "extract":
        model = DISK()
        if a.weights:
            model.load_state_dict(torch.load(a.weights, map_location="cpu")["extractor"])
        model = model.to(dev).eval()
        image = test_image(a.size).to(dev)
        for i in range(a.warmup + a.iters):
            sync()
            t0 = time.perf_counter()
            f = model(image, n=2048, pad_if_not_divisible=True)[0]
            found = f.keypoints.shape[0]
            sync()
            if i >= a.warmup:
                times.append((time.perf_counter() - t0) * 1e3)
        what = f"{a.size}x{a.size} keypoints {found}"
    else:
        g = torch.Generator().manual_seed(1)
        d0 = torch.nn.functional.normalize(torch.randn(a.pairs, a.keypoints, 128, generator=g), dim=2).to(dev)
        d1 = torch.nn.functional.normalize(torch.randn(a.pairs, a.keypoints, 128, generator=g), dim=2).to(dev)
        for i in range(a.warmup + a.iters):
            sync()
            t0 = time.perf_counter()
            total = 0
            for b in range(a.pairs):
                total += match(d0[b], d1[b], 0.95).shape[1]
            sync()
            if i >= a.warmup:
                times.append((time.perf_counter() - t0) * 1e3 / a.pairs)
        what = f"{a.keypoints} keypoints, per pair, matches {total // a.pairs}"
    times.sort()
    print(f"{a.mode} {a.device} {times[len(times) // 2]:.2f} {times[0]:.2f} {what} (torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads)")


if __name__ == "__main__":
    main()

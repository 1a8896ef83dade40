#!/usr/bin/env python3
"""Times bench/bench_ops.cpp's cases in PyTorch on the CPU (2 threads by default).

Prints JSON {name: {"ms": median ms, "min_ms": minimum ms, "gflops": GFLOP/s at the median}}.
Usage: bench/torch_cpu.py [--threads 2] [--repeats 15]
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn.functional as F

CONVS = {
    "conv2d/1x64@240x320": (1, 64, 240, 320),
    "conv2d/64x64@240x320": (64, 64, 240, 320),
    "conv2d/64x128@60x80": (64, 128, 60, 80),
    "conv2d/128x256@30x40": (128, 256, 30, 40),
}
GRAD_INPUTS = {"conv2d_grad_input/" + name.split("/")[1]: shape for name, shape in CONVS.items() if shape[0] > 1}
MATMULS = {"matmul/64x576x76800": (64, 576, 76800)}


def timed(fn, repeats, warmup=3):
    """{"ms": median, "min_ms": minimum} of `repeats` calls, in milliseconds."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return {"ms": statistics.median(times), "min_ms": min(times)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=15)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    results = {}
    with torch.no_grad():
        for name, (cin, cout, h, w) in CONVS.items():
            x, wt, b = torch.randn(1, cin, h, w), torch.randn(cout, cin, 3, 3), torch.randn(cout)
            t = timed(lambda: F.conv2d(x, wt, b, padding=1), args.repeats)
            results[name] = {**t, "gflops": 2.0 * cout * cin * 9 * h * w / t["ms"] / 1e6}
        for name, (cin, cout, h, w) in GRAD_INPUTS.items():
            go, wt = torch.randn(1, cout, h, w), torch.randn(cout, cin, 3, 3)
            t = timed(lambda: torch.nn.grad.conv2d_input((1, cin, h, w), wt, go, padding=1), args.repeats)
            results[name] = {**t, "gflops": 2.0 * cout * cin * 9 * h * w / t["ms"] / 1e6}
        for name, (cin, cout, h, w) in GRAD_INPUTS.items():
            go, x = torch.randn(1, cout, h, w), torch.randn(1, cin, h, w)
            t = timed(lambda: torch.nn.grad.conv2d_weight(x, (cout, cin, 3, 3), go, padding=1), args.repeats)
            results[name.replace("grad_input", "grad_weight")] = {**t, "gflops": 2.0 * cout * cin * 9 * h * w / t["ms"] / 1e6}
        for name, (m, k, n) in MATMULS.items():
            a, b = torch.randn(m, k), torch.randn(k, n)
            t = timed(lambda: torch.matmul(a, b), args.repeats)
            results[name] = {**t, "gflops": 2.0 * m * k * n / t["ms"] / 1e6}
    results["_torch"] = {"version": torch.__version__, "threads": torch.get_num_threads()}
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()

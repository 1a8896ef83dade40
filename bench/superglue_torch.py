#!/usr/bin/env python3
"""Times bench/superglue_bench.cpp's cases with the public SuperGlue model code in PyTorch 2.x.

The model is models/superglue.py of magicleap/SuperGluePretrainedNetwork, not part of this
repository: fetch it into the ignored folder .ref/ (see tests/reference/models_superglue.py).
Random weights (its constructor's init, the weight-file load skipped), 18 layers, 100
Sinkhorn iterations; random features of 640 x 480 images.
  infer: SuperGlue.forward of one pair, no grad, eval mode.
  train: forward in train mode, Glue Factory's SuperGlue loss (gluefactory_nonfree, in .ref/
         as gf_superglue.py) on the log-assignment, backward; half of the points matched.
Prints "<mode> cpu median_ms min_ms <what>" like the C++ bench (peak_rss_mib: ru_maxrss).
Usage: superglue_torch.py infer|train [--keypoints 1024] [--batch 4] [--iters N] [--threads 2]
"""
import argparse
import os
import resource
import statistics
import sys
import time
import types

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, ".ref"))
gf_base = types.ModuleType("gluefactory.models.base_model")
gf_base.BaseModel = torch.nn.Module
sys.modules.update({"gluefactory": types.ModuleType("gluefactory"),
                    "gluefactory.models": types.ModuleType("gluefactory.models"),
                    "gluefactory.models.base_model": gf_base})
import superglue as sg  # noqa: E402
import gf_superglue  # noqa: E402


def rss_mib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["infer", "train"])
    p.add_argument("--keypoints", type=int, default=1024)
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--iters", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(7)
    real_load, real_lsd = torch.load, sg.SuperGlue.load_state_dict
    torch.load = lambda *x, **k: None
    sg.SuperGlue.load_state_dict = lambda self, *x, **k: None
    model = sg.SuperGlue({"sinkhorn_iterations": 100})
    torch.load, sg.SuperGlue.load_state_dict = real_load, real_lsd
    B = 1 if a.mode == "infer" else a.batch
    N = a.keypoints

    def feats():
        return (torch.rand(B, N, 2) * torch.tensor([639.0, 479.0]), torch.rand(B, N),
                torch.nn.functional.normalize(torch.randn(B, 256, N), dim=1))

    kp0, sc0, d0 = feats()
    kp1, sc1, d1 = feats()
    image = torch.empty(B, 1, 480, 640)
    data = {"keypoints0": kp0, "scores0": sc0, "descriptors0": d0, "image0": image,
            "keypoints1": kp1, "scores1": sc1, "descriptors1": d1, "image1": image}
    times = []
    if a.mode == "infer":
        model.eval()
        iters = a.iters or 5
        with torch.no_grad():
            model(data)
            for _ in range(iters):
                t0 = time.perf_counter()
                model(data)
                times.append((time.perf_counter() - t0) * 1e3)
        what = f"keypoints={N}"
    else:
        model.train()
        captured = {}
        real_ot = sg.log_optimal_transport

        def spy(scores, alpha, iters):
            captured["la"] = real_ot(scores, alpha, iters)
            return captured["la"]

        sg.log_optimal_transport = spy
        idx = torch.arange(N)[None].expand(B, N)
        gt = torch.where(idx < N // 2, idx, torch.full_like(idx, -1))
        assignment = torch.zeros(B, N, N)
        assignment[:, torch.arange(N // 2), torch.arange(N // 2)] = 1
        fake = types.SimpleNamespace(conf=types.SimpleNamespace(loss=types.SimpleNamespace(nll_balancing=0.5)),
                                     bin_score=model.bin_score)
        before = rss_mib()
        for _ in range(a.iters or 3):
            t0 = time.perf_counter()
            model.zero_grad()
            model(data)
            losses = gf_superglue.SuperGlue.loss(fake, {"log_assignment": captured["la"]},
                                                 {"gt_assignment": assignment, "gt_matches0": gt,
                                                  "gt_matches1": gt})
            losses["total"].mean().backward()
            times.append((time.perf_counter() - t0) * 1e3)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        what = f"batch={B} keypoints={N} checkpointed=0 rss_before_mib={int(before)} peak_rss_mib={int(peak)}"
    print(f"{a.mode} cpu {statistics.median(times):.1f} {min(times):.1f} {what}", flush=True)


if __name__ == "__main__":
    main()

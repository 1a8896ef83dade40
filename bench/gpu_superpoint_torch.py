#!/usr/bin/env python3
"""PyTorch twin of bench/gpu_superpoint_bench.cpp: the same cases (same names), the same
method (warm-up, then each iteration timed with CUDA events, medians), f32 with TF32 off
unless --tf32, cuDNN heuristics (cudnn.benchmark off) unless --cudnn-benchmark (sp
measures its cuDNN algorithms once per shape unless SP_CUDNN_FIND=0).
"train/superpoint joint step" is one training step on --batch image pairs as sp's
models::SuperPoint does it ([ML] network, both images in one forward, soft-target
65-way cross-entropy of both, dense descriptor hinge loss with lambda_d 250, margins 1
and 0.2, 7.5 px correspondences, Adam), reading the four loss terms like sp's loss().

  gpu_superpoint_torch.py [--json out.json] [--batch 64] [--height 240] [--width 320]
                          [--warmup 5] [--iters 20] [--tf32] [--cudnn-benchmark]
                          [--filter substring] [--cpu]
--cpu times on the CPU with a host clock (a smoke test of the script without a GPU).
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn.functional as F

# (name, in, out, kernel, height, width at 240x320, input needs a gradient); as in the C++.
LAYERS = [
    ("conv1a", 1, 64, 3, 240, 320, False),
    ("conv1b", 64, 64, 3, 240, 320, True),
    ("conv2a", 64, 64, 3, 120, 160, True),
    ("conv3a", 64, 128, 3, 60, 80, True),
    ("conv3b", 128, 128, 3, 60, 80, True),
    ("conv4a", 128, 128, 3, 30, 40, True),
    ("convPa", 128, 256, 3, 30, 40, True),
    ("convPb", 256, 65, 1, 30, 40, True),
    ("convDb", 256, 256, 1, 30, 40, True),
]


class SuperPointNet(torch.nn.Module):
    """SuperPoint (DeTone et al. 2018) as in gpu_superpoint_bench.cpp."""

    def __init__(self):
        super().__init__()
        c = lambda i, o, k: torch.nn.Conv2d(i, o, k, 1, k // 2)  # noqa: E731
        self.c1a, self.c1b, self.c2a, self.c2b = c(1, 64, 3), c(64, 64, 3), c(64, 64, 3), c(64, 64, 3)
        self.c3a, self.c3b, self.c4a, self.c4b = c(64, 128, 3), c(128, 128, 3), c(128, 128, 3), c(128, 128, 3)
        self.cPa, self.cPb, self.cDa, self.cDb = c(128, 256, 3), c(256, 65, 1), c(128, 256, 3), c(256, 256, 1)

    def forward(self, image):
        x = F.relu(self.c1a(image))
        x = F.relu(self.c1b(x))
        x = F.max_pool2d(x, 2, 2)
        x = F.relu(self.c2a(x))
        x = F.relu(self.c2b(x))
        x = F.max_pool2d(x, 2, 2)
        x = F.relu(self.c3a(x))
        x = F.relu(self.c3b(x))
        x = F.max_pool2d(x, 2, 2)
        x = F.relu(self.c4a(x))
        x = F.relu(self.c4b(x))
        return self.cPb(F.relu(self.cPa(x))), self.cDb(F.relu(self.cDa(x)))


def pixel_targets(labels):
    """Soft 65-channel cell targets of 0/1 keypoint maps [B, 1, H, W]."""
    t = F.pixel_unshuffle(labels, 8)
    dustbin = (1 - t.sum(1, keepdim=True)).clamp(min=0)
    dustbin[dustbin < 1] = 0
    t = torch.cat([t, dustbin], 1)
    return t / t.sum(1, keepdim=True)


def detector_loss(logits, labels):
    per_cell = -(pixel_targets(labels) * F.log_softmax(logits, 1)).sum(1)
    return per_cell.sum() / (per_cell.numel() + 1e-10)  # every cell valid


def descriptor_loss(desc, wdesc, homs):
    b, d, hc, wc = desc.shape
    n = hc * wc
    ys, xs = torch.meshgrid(torch.arange(hc, device=desc.device, dtype=torch.float32),
                            torch.arange(wc, device=desc.device, dtype=torch.float32), indexing="ij")
    c = torch.stack([xs * 8 + 3.5, ys * 8 + 3.5], -1).reshape(n, 2)
    hom = torch.cat([c, torch.ones(n, 1, device=c.device)], 1) @ homs.transpose(1, 2)  # [B, N, 3]
    warped = hom[..., :2] / hom[..., 2:]
    s = (torch.cdist(warped, c.expand(b, n, 2)) <= 7.5).float()
    dot = torch.einsum("bdn,bdm->bnm", desc.reshape(b, d, n), wdesc.reshape(b, d, n))
    loss = 250 * s * F.relu(1 - dot) + (1 - s) * F.relu(dot - 0.2)
    return loss.sum() / (n * b * n)


def time_case(name, args, before, step):
    for _ in range(args.warmup):
        before()
        step()
    ms = []
    if args.cpu:
        for _ in range(args.iters):
            before()
            t0 = time.perf_counter()
            step()
            ms.append((time.perf_counter() - t0) * 1e3)
    else:
        torch.cuda.synchronize()
        events = []
        for _ in range(args.iters):
            before()
            start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            step()
            stop.record()
            events.append((start, stop))
        torch.cuda.synchronize()
        ms = [a.elapsed_time(b) for a, b in events]
    r = {"name": name, "median_ms": statistics.median(ms), "min_ms": min(ms), "mean_ms": statistics.fmean(ms),
         "iters": args.iters}
    print(f"{name:44s} median {r['median_ms']:9.3f} ms  min {r['min_ms']:9.3f} ms", flush=True)
    return r


def run(args, device):
    wanted = lambda n: not args.filter or args.filter in n  # noqa: E731
    gen = torch.Generator(device=device).manual_seed(1234)
    randn = lambda *s: torch.randn(*s, generator=gen, device=device)  # noqa: E731
    results = []
    for name, cin, cout, k, h0, w0, input_grad in LAYERS:
        h, w = h0 * args.height // 240, w0 * args.width // 320
        conv = torch.nn.Conv2d(cin, cout, k, 1, k // 2).to(device)
        x = randn(args.batch, cin, h, w)
        case = f"layer/{name} {cin}->{cout} k{k} @{h}x{w}"
        if wanted(case + " fwd"):
            def fwd():
                with torch.no_grad():
                    conv(x)
            results.append(time_case(case + " fwd", args, lambda: None, fwd))
        if wanted(case + " fwd+bwd"):
            grad = randn(args.batch, cout, h, w)

            def fwdbwd():
                xv = x.detach().requires_grad_(input_grad)
                conv(xv).backward(grad)
            results.append(time_case(case + " fwd+bwd", args, lambda: conv.zero_grad(set_to_none=True), fwdbwd))
        del conv, x
    if wanted("model/superpoint fwd") or wanted("model/superpoint fwd+bwd"):
        net = SuperPointNet().to(device)
        image = randn(args.batch, 1, args.height, args.width)
        if wanted("model/superpoint fwd"):
            def fwd():
                with torch.no_grad():
                    net(image)
            results.append(time_case("model/superpoint fwd", args, lambda: None, fwd))
        if wanted("model/superpoint fwd+bwd"):
            def fwdbwd():
                semi, desc = net(image)
                (semi.sum() + desc.sum()).backward()
            results.append(time_case("model/superpoint fwd+bwd", args, lambda: net.zero_grad(set_to_none=True),
                                     fwdbwd))
    if wanted("train/superpoint joint step"):
        net = SuperPointNet().to(device)
        adam = torch.optim.Adam(net.parameters(), lr=1e-4)
        shape = (args.batch, 1, args.height, args.width)
        rand = lambda: torch.rand(*shape, generator=gen, device=device)  # noqa: E731
        image, warped = rand(), rand()
        labels, warped_labels = (rand() < 0.01).float(), (rand() < 0.01).float()
        homs = torch.tensor([[1.0, 0, 4], [0, 1, -3], [0, 0, 1]], device=device).expand(args.batch, 3, 3)

        def train_step():
            semi, desc = net(torch.cat([image, warped], 0))
            desc = F.normalize(desc, dim=1)
            b = args.batch
            det, det_w = detector_loss(semi[:b], labels), detector_loss(semi[b:], warped_labels)
            dl = descriptor_loss(desc[:b], desc[b:], homs)
            total = det + det_w + dl
            _ = (det.item(), det_w.item(), dl.item(), total.item())  # sp's loss() reads these
            total.backward()
            adam.step()
        results.append(time_case("train/superpoint joint step", args, lambda: adam.zero_grad(set_to_none=True),
                                 train_step))
    return results


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--json", help="also write the results here (the table goes to stdout)")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--height", type=int, default=240)
    p.add_argument("--width", type=int, default=320)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--iters", type=int, default=20)
    p.add_argument("--tf32", action="store_true")
    p.add_argument("--cudnn-benchmark", action="store_true")
    p.add_argument("--filter", default="")
    p.add_argument("--cpu", action="store_true")
    args = p.parse_args()
    if args.height % 8 or args.width % 8 or args.iters < 1:
        p.error("expected height and width divisible by 8 and --iters >= 1")
    if not args.cpu and not torch.cuda.is_available():
        raise SystemExit("gpu_superpoint_torch: no usable GPU")
    device = torch.device("cpu" if args.cpu else "cuda:0")
    torch.backends.cuda.matmul.allow_tf32 = args.tf32
    torch.backends.cudnn.allow_tf32 = args.tf32
    torch.backends.cudnn.benchmark = args.cudnn_benchmark
    print(f"torch {torch.__version__} SuperPoint {'CPU' if args.cpu else 'CUDA'} bench: batch {args.batch}, "
          f"{args.height}x{args.width}, f32, tf32 {'on' if args.tf32 else 'off'}, warmup {args.warmup}, "
          f"iters {args.iters}")
    results = run(args, device)
    meta = {"framework": "torch", "version": torch.__version__,
            "device": "cpu" if args.cpu else torch.cuda.get_device_name(0), "dtype": "f32", "batch": args.batch,
            "height": args.height, "width": args.width, "tf32": args.tf32,
            "cudnn_benchmark": args.cudnn_benchmark, "cudnn": torch.backends.cudnn.version(),
            "warmup": args.warmup, "iters": args.iters, "results": results}
    if args.json:
        with open(args.json, "w") as f:
            json.dump(meta, f, indent=2)


if __name__ == "__main__":
    main()

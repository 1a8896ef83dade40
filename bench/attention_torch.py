#!/usr/bin/env python3
"""Times bench/attention_bench.cpp's cases in PyTorch 2.x on the CPU (same names, same shapes).

Attention is torch.nn.functional.scaled_dot_product_attention (a bool key-padding mask
where masked); LayerNorm is torch.nn.LayerNorm(256); the LightGlue-sized layer is the same
computation as the C++ one (self blocks with rotary encoding on both images, a
bidirectional cross block through SDPA, FFN with LayerNorm and exact GELU). Prints JSON
{name: {"ms": median, "min_ms": minimum, "cpu_ms": CPU time per call}}.
Usage: attention_torch.py [--threads 2] [--repeats 15] [--filter substring]
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn.functional as F


def timed(fn, repeats, warmup=3):
    """Wall-clock median and minimum, and the process CPU time per call (all threads)."""
    for _ in range(warmup):
        fn()
    times = []
    c0 = time.process_time()
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    cpu = (time.process_time() - c0) * 1e3 / repeats
    return {"ms": statistics.median(times), "min_ms": min(times), "cpu_ms": cpu}


class Layer(torch.nn.Module):
    def __init__(self, d=256, heads=4):
        super().__init__()
        self.d, self.h = d, heads
        L = torch.nn.Linear
        self.wqkv, self.self_out = L(d, 3 * d), L(d, d)
        self.self_ffn1, self.self_norm, self.self_ffn2 = L(2 * d, 2 * d), torch.nn.LayerNorm(2 * d), L(2 * d, d)
        self.to_qk, self.to_v, self.cross_out = L(d, d), L(d, d), L(d, d)
        self.cross_ffn1, self.cross_norm, self.cross_ffn2 = L(2 * d, 2 * d), torch.nn.LayerNorm(2 * d), L(2 * d, d)

    @staticmethod
    def ffn(a, n, b, x, m):
        return x + b(F.gelu(n(a(torch.cat([x, m], -1)))))

    def heads_of(self, x):
        return x.reshape(x.shape[0], x.shape[1], self.h, self.d // self.h).transpose(1, 2)

    def merge(self, x):
        return x.transpose(1, 2).reshape(x.shape[0], x.shape[2], self.d)

    @staticmethod
    def rotary(t, cos, sin):
        pairs = t.reshape(*t.shape[:-1], -1, 2)
        rot = torch.stack([-pairs[..., 1], pairs[..., 0]], -1).reshape(t.shape)
        return t * cos + rot * sin

    def self_block(self, x, cos, sin):
        b, n, _ = x.shape
        qkv = self.wqkv(x).reshape(b, n, self.h, self.d // self.h, 3).transpose(1, 2)
        q, k, v = self.rotary(qkv[..., 0], cos, sin), self.rotary(qkv[..., 1], cos, sin), qkv[..., 2]
        m = self.self_out(self.merge(F.scaled_dot_product_attention(q, k, v)))
        return self.ffn(self.self_ffn1, self.self_norm, self.self_ffn2, x, m)

    def cross_block(self, x0, x1):
        qk0, qk1 = self.heads_of(self.to_qk(x0)), self.heads_of(self.to_qk(x1))
        v0, v1 = self.heads_of(self.to_v(x0)), self.heads_of(self.to_v(x1))
        m0 = self.cross_out(self.merge(F.scaled_dot_product_attention(qk0, qk1, v1)))
        m1 = self.cross_out(self.merge(F.scaled_dot_product_attention(qk1, qk0, v0)))
        f = (self.cross_ffn1, self.cross_norm, self.cross_ffn2)
        return self.ffn(*f, x0, m0), self.ffn(*f, x1, m1)

    def forward(self, x0, x1, c0, s0, c1, s1):
        return self.cross_block(self.self_block(x0, c0, s0), self.self_block(x1, c1, s1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--filter", default="")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    results = {}

    def run(name, fn):
        if args.filter in name:
            results[name] = timed(fn, args.repeats)

    for n in (512, 1024, 2048):
        for masked in (False, True):
            suffix = f"/N{n}" + ("/mask" if masked else "")
            q, k, v, g = (torch.randn(1, 4, n, 64) for _ in range(4))
            mask = (torch.arange(n) < n - n // 8).reshape(1, 1, 1, n) if masked else None

            def fwd():
                with torch.no_grad():
                    F.scaled_dot_product_attention(q, k, v, attn_mask=mask)

            def fwdbwd():
                qv, kv, vv = (t.clone().requires_grad_() for t in (q, k, v))
                F.scaled_dot_product_attention(qv, kv, vv, attn_mask=mask).backward(g)

            run("attention/fwd" + suffix, fwd)
            run("attention/fwdbwd" + suffix, fwdbwd)
    for n in (1024, 8192):
        ln = torch.nn.LayerNorm(256)
        x, g = torch.randn(n, 256), torch.randn(n, 256)

        def ln_fwd():
            with torch.no_grad():
                ln(x)

        def ln_fwdbwd():
            xv = x.clone().requires_grad_()
            ln(xv).backward(g)
            ln.zero_grad(set_to_none=True)

        run(f"layer_norm/fwd/{n}x256", ln_fwd)
        run(f"layer_norm/fwdbwd/{n}x256", ln_fwdbwd)
    layer, n = Layer(), 1024
    x0, x1, g0, g1 = (torch.randn(1, n, 256) for _ in range(4))
    th0, th1 = torch.randn(1, 1, n, 32), torch.randn(1, 1, n, 32)
    c0, s0 = th0.cos().repeat_interleave(2, -1), th0.sin().repeat_interleave(2, -1)
    c1, s1 = th1.cos().repeat_interleave(2, -1), th1.sin().repeat_interleave(2, -1)

    def layer_fwd():
        with torch.no_grad():
            layer(x0, x1, c0, s0, c1, s1)

    def layer_fwdbwd():
        a, b = x0.clone().requires_grad_(), x1.clone().requires_grad_()
        y0, y1 = layer(a, b, c0, s0, c1, s1)
        ((y0 * g0).sum() + (y1 * g1).sum()).backward()
        layer.zero_grad(set_to_none=True)

    run("lightglue_layer/fwd/N1024", layer_fwd)
    run("lightglue_layer/fwdbwd/N1024", layer_fwdbwd)
    results["_torch"] = {"version": torch.__version__, "threads": torch.get_num_threads()}
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()

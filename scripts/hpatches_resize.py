#!/usr/bin/env python3
"""A copy of an HPatches folder in Glue Factory's evaluation frame (matchers.md 5.2): each
image resized so its short side is N (default 480) the way GF's ImagePreprocessor does it
(kornia resize, bilinear, antialias; long side int(N * long / short)), written as 8-bit
PNG, and H_1_k adapted to it in GF's corner convention, H' = S_k H S_1^-1 with
S = diag(new / old per axis, 1). Feature extraction on the copy (spdetect without resize)
then sees what GF's extractor sees, and `speval --matcher ... --resize-short 0` grades in
GF's frame. Needs torch + kornia + cv2 (the venv):
    python -P scripts/hpatches_resize.py hpatches-sequences-release OUT [--short 480]
"""
import argparse
from pathlib import Path

import cv2
import kornia
import numpy as np
import torch


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("src")
    ap.add_argument("out")
    ap.add_argument("--short", type=int, default=480)
    args = ap.parse_args()
    src, out = Path(args.src), Path(args.out)
    seqs = sorted(p for p in src.iterdir() if p.is_dir() and p.name[1:2] == "_")
    assert seqs, f"no i_*/v_* sequences in {src}"
    for seq in seqs:
        (out / seq.name).mkdir(parents=True, exist_ok=True)
        scale = {}
        for k in range(1, 7):
            path = next(p for p in (seq / f"{k}{e}" for e in (".ppm", ".pgm", ".png", ".jpg"))
                        if p.exists())
            img = cv2.imread(str(path), cv2.IMREAD_COLOR)[..., ::-1]  # RGB, as GF reads it
            h, w = img.shape[:2]
            a = w / h
            size = (args.short, int(args.short * a)) if a >= 1 else (int(args.short / a), args.short)
            t = torch.tensor(img.copy()).permute(2, 0, 1).float()[None] / 255.0
            r = kornia.geometry.transform.resize(t, size, antialias=True, interpolation="bilinear")
            r = (r[0].permute(1, 2, 0).clamp(0, 1).numpy() * 255.0).round().astype(np.uint8)
            cv2.imwrite(str(out / seq.name / f"{k}.png"), r[..., ::-1])
            scale[k] = np.diag([size[1] / w, size[0] / h, 1.0])
        for k in range(2, 7):
            H = np.loadtxt(seq / f"H_1_{k}")
            Hr = scale[k] @ H @ np.linalg.inv(scale[1])
            np.savetxt(out / seq.name / f"H_1_{k}", Hr, fmt="%.17g")
        print(seq.name, "->", out / seq.name)


if __name__ == "__main__":
    main()

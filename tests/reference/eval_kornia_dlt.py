"""Reference for eval/matcher_hpatches.h kornia_homography_dlt: kornia's
find_homography_dlt (the weighted DLT behind Glue Factory's H_error_dlt) on noisy,
weighted correspondences, float64, solvers "lu" (kornia's default) and "svd".
Needs the venv (kornia 0.9.x): /work/main/.venv/bin/python -P tests/reference/eval_kornia_dlt.py
Writes fixtures/eval_kornia_dlt.h5: case<i>/{src, dst, weights, H_lu, H_svd}."""
import os

import h5py
import numpy as np
import torch
from kornia.geometry.homography import find_homography_dlt

rng = np.random.default_rng(0)
H = np.array([[1.1, 0.05, 3.0], [-0.02, 0.9, 2.0], [1e-4, -2e-4, 1.0]])
out = os.path.join(os.path.dirname(__file__), "fixtures", "eval_kornia_dlt.h5")
with h5py.File(out, "w") as f:
    for i, (n, noise, outliers, uniform) in enumerate(
        [(30, 0.5, 0, False), (100, 1.0, 20, False), (50, 2.0, 5, True), (6, 0.3, 0, False)]
    ):
        src = rng.uniform([0, 0], [640, 480], size=(n, 2))
        p = np.concatenate([src, np.ones((n, 1))], 1) @ H.T
        dst = p[:, :2] / p[:, 2:] + rng.normal(0, noise, size=(n, 2))
        dst[:outliers] = rng.uniform([0, 0], [640, 480], size=(outliers, 2))
        w = np.ones(n) if uniform else rng.uniform(0.05, 1.0, size=n)
        g = f.create_group(f"case{i}")
        g["src"], g["dst"], g["weights"] = src, dst, w
        t = lambda a: torch.from_numpy(a)[None]
        for solver in ("lu", "svd"):
            Hs = find_homography_dlt(t(src), t(dst), t(w), solver=solver)[0].numpy()
            g[f"H_{solver}"] = Hs
print("wrote", out)

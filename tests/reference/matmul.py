#!/usr/bin/python3
"""Writes fixtures/matmul.h5: torch.matmul / bmm golden values (float64)."""
import os
import h5py
import torch

torch.manual_seed(0)
CASES = {
    "dot": ([5], [5]),
    "vec_mat": ([4], [4, 3]),
    "mat_vec": ([3, 4], [4]),
    "mm": ([7, 5], [5, 9]),
    "batched": ([3, 4, 5], [3, 5, 2]),
    "broadcast": ([2, 1, 4, 5], [3, 5, 6]),
    "batched_vec": ([2, 3, 4], [4]),
    "vec_batched": ([4], [2, 4, 3]),
    "k_zero": ([3, 0], [0, 2]),
    "large": ([70, 130], [130, 90]),
}

out_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "matmul.h5")
with h5py.File(out_path, "w") as f:
    for name, (sa, sb) in CASES.items():
        a = torch.randn(*sa, dtype=torch.float64)
        b = torch.randn(*sb, dtype=torch.float64)
        f[f"{name}/a"] = a.numpy()
        f[f"{name}/b"] = b.numpy()
        f[f"{name}/out"] = torch.matmul(a, b).numpy()

#!/usr/bin/env python3
"""A SuperGlue-format pose pair list (matchers.md 5.4: `name0 name1 rot0 rot1 K0(9) K1(9)
T_0to1(16)`) from a KITTI-style sequence folder: frames NNNNNNNNNN.jpg, cam.txt (3x3 K)
and poses.txt (one camera-to-world 3x4 matrix a line, row-major). T_0to1 of frames i, j
is inv(P_j) P_i.

  scripts/kitti_pose_pairs.py SEQUENCE_DIR OUT.txt [--gap 5] [--stride 4]

Pairs (i, i + gap) for i = 0, stride, 2 stride, ... `speval --pose --pairs OUT.txt` then
reads it with the images under SEQUENCE_DIR.
"""
import argparse
import os

import numpy as np


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("sequence")
    ap.add_argument("out")
    ap.add_argument("--gap", type=int, default=5)
    ap.add_argument("--stride", type=int, default=4)
    args = ap.parse_args()
    K = np.loadtxt(os.path.join(args.sequence, "cam.txt")).reshape(3, 3)
    poses = np.loadtxt(os.path.join(args.sequence, "poses.txt")).reshape(-1, 3, 4)
    P = np.tile(np.eye(4), (len(poses), 1, 1))
    P[:, :3, :] = poses
    k = " ".join(f"{v:.10g}" for v in K.ravel())
    n = 0
    with open(args.out, "w") as f:
        for i in range(0, len(P) - args.gap, args.stride):
            j = i + args.gap
            T = np.linalg.inv(P[j]) @ P[i]
            t = " ".join(f"{v:.10g}" for v in T.ravel())
            f.write(f"{i:010d}.jpg {j:010d}.jpg 0 0 {k} {k} {t}\n")
            n += 1
    print(f"{n} pairs -> {args.out}")


if __name__ == "__main__":
    main()

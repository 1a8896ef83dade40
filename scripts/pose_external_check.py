#!/usr/bin/env python3
"""External check of sp's pose benchmark (issue 20): the same matches through poselib and
OpenCV, graded with the same pose error and AUC.

Input: the file `speval --pose ... --save-matches M.h5` writes (eval/pose_benchmark.h):
groups "<index>" with kpts0, kpts1 [K, 2] (pixels, integer pixel centres), K0, K1 [3, 3],
T_0to1 [4, 4], attributes name0, name1. With --sp RESULTS.json (speval --out), the
script compares sp's pose_auc_5/10/20 with each external estimator and exits 1 when one
differs by more than --tolerance (default 0.02).

  scripts/pose_external_check.py M.h5 [--threshold 1.0] [--sp results.json] [--json out.json]

Needs numpy, h5py, poselib and (optional) opencv-python.
"""
import argparse
import json
import math
import sys

import h5py
import numpy as np


def angle_deg(a, b):
    c = float(np.dot(a, b) / max(np.linalg.norm(a) * np.linalg.norm(b), 1e-300))
    return math.degrees(math.acos(max(-1.0, min(1.0, c))))


def pose_error(R, t, T):
    """max(rotation error, translation direction error up to sign), degrees."""
    if R is None:
        return math.inf
    R_gt, t_gt = T[:3, :3], T[:3, 3]
    cos = (np.trace(R.T @ R_gt) - 1) / 2
    e_R = math.degrees(math.acos(max(-1.0, min(1.0, cos))))
    if np.linalg.norm(t_gt) == 0:
        e_t = 0.0
    else:
        e_t = angle_deg(t, t_gt)
        e_t = min(e_t, 180 - e_t)
    return max(e_R, e_t)


def error_auc(errors, thresholds):
    """Glue Factory's cal_error_auc without rounding; failures are +inf."""
    errors = np.sort(np.asarray(errors, dtype=np.float64))
    n = len(errors)
    recall = (np.arange(n) + 1) / n
    errors = np.concatenate([[0.0], errors])
    recall = np.concatenate([[0.0], recall])
    out = []
    for t in thresholds:
        last = np.searchsorted(errors, t)
        r = np.concatenate([recall[:last], [recall[last - 1]]])
        e = np.concatenate([errors[:last], [t]])
        out.append(float(np.trapz(r, x=e) / t) if hasattr(np, "trapz") else
                   float(np.trapezoid(r, x=e) / t))
    return out


def poselib_pose(k0, k1, K0, K1, th):
    import poselib

    def cam(K):
        return {"model": "PINHOLE", "width": 0, "height": 0,
                "params": [K[0, 0], K[1, 1], K[0, 2], K[1, 2]]}

    if len(k0) < 5:
        return None, None
    pose, info = poselib.estimate_relative_pose(k0, k1, cam(K0), cam(K1),
                                                {"max_epipolar_error": th}, {})
    if info.get("num_inliers", 0) < 5:
        return None, None
    return pose.R, pose.t


def opencv_pose(k0, k1, K0, K1, th):
    """SuperGlue's estimate_pose (matchers.md 5.4): threshold / mean focal, prob 0.99999,
    recoverPose on every candidate, the one with the most inliers."""
    import cv2

    if len(k0) < 5:
        return None, None
    f_mean = np.mean([K0[0, 0], K1[1, 1], K0[0, 0], K1[1, 1]])
    n0 = (k0 - K0[[0, 1], [2, 2]][None]) / K0[[0, 1], [0, 1]][None]
    n1 = (k1 - K1[[0, 1], [2, 2]][None]) / K1[[0, 1], [0, 1]][None]
    E, mask = cv2.findEssentialMat(n0, n1, np.eye(3), threshold=th / f_mean, prob=0.99999,
                                   method=cv2.RANSAC)
    if E is None:
        return None, None
    best, best_n = (None, None), 0
    for Ei in np.split(E, len(E) / 3):
        n, R, t, _ = cv2.recoverPose(Ei, n0, n1, np.eye(3), 1e9, mask=mask)
        if n > best_n:
            best, best_n = (R, t[:, 0]), n
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("matches", help="speval --save-matches file")
    ap.add_argument("--threshold", type=float, default=1.0, help="RANSAC threshold, pixels")
    ap.add_argument("--sp", help="speval --out results.json to compare with")
    ap.add_argument("--tolerance", type=float, default=0.02)
    ap.add_argument("--json", help="write the AUCs here")
    args = ap.parse_args()

    estimators = {"poselib": poselib_pose}
    try:
        import cv2  # noqa: F401
        estimators["opencv"] = opencv_pose
    except ImportError:
        print("pose_external_check: no cv2, OpenCV column skipped", file=sys.stderr)

    errors = {k: [] for k in estimators}
    with h5py.File(args.matches, "r") as f:
        keys = sorted(f.keys(), key=int)
        if not keys:
            sys.exit(f"pose_external_check: expected pair groups in {args.matches}, got none")
        for k in keys:
            g = f[k]
            k0, k1 = np.asarray(g["kpts0"], np.float64), np.asarray(g["kpts1"], np.float64)
            K0, K1, T = (np.asarray(g[n], np.float64) for n in ("K0", "K1", "T_0to1"))
            for name, fn in estimators.items():
                R, t = fn(k0, k1, K0, K1, args.threshold)
                errors[name].append(pose_error(R, t, T))

    out = {"num_pairs": len(keys), "threshold": args.threshold}
    print(f"{len(keys)} pairs, threshold {args.threshold} px")
    print(f"{'estimator':>10} {'auc@5':>8} {'auc@10':>8} {'auc@20':>8}")
    for name, e in errors.items():
        auc = error_auc(e, [5, 10, 20])
        out[name] = {"pose_auc_5": auc[0], "pose_auc_10": auc[1], "pose_auc_20": auc[2],
                     "pose_errors": [x if math.isfinite(x) else None for x in e]}
        print(f"{name:>10} {auc[0]:8.4f} {auc[1]:8.4f} {auc[2]:8.4f}")
    status = 0
    if args.sp:
        with open(args.sp) as f:
            summary = json.load(f)["summary"]
        sp_auc = [summary[f"pose_auc_{t}"] for t in (5, 10, 20)]
        out["sp"] = dict(zip(("pose_auc_5", "pose_auc_10", "pose_auc_20"), sp_auc))
        print(f"{'sp':>10} {sp_auc[0]:8.4f} {sp_auc[1]:8.4f} {sp_auc[2]:8.4f}")
        for name in errors:
            d = max(abs(out[name][f"pose_auc_{t}"] - s) for t, s in zip((5, 10, 20), sp_auc))
            ok = d <= args.tolerance
            print(f"sp vs {name}: max |AUC difference| {d:.4f} "
                  f"({'within' if ok else 'OUTSIDE'} {args.tolerance})")
            if name == "poselib" and not ok:
                status = 1
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1)
    sys.exit(status)


if __name__ == "__main__":
    main()

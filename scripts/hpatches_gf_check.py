#!/usr/bin/env python3
"""External check of `speval --matcher nearest_neighbor` (eval/matcher_hpatches.h): Glue
Factory's HPatches protocol written independently in numpy/torch with kornia's
find_homography_dlt, OpenCV's findHomography and poselib's estimate_homography, on the
same features (a DISK feature folder from spdetect, names <seq>-<k>).

Frame: the HPatches folder is graded as it is (pass the copy written by
scripts/hpatches_resize.py for GF's 480 frame; speval then runs with --resize-short 0);
keypoints get GF's +0.5. Matches: GF's nearest_neighbor_matcher (similarity = dot
product, ratio test on 2 (1 - sim), mutual check), matching scores 1 (GF's NN), so the
DLT is unweighted. With --sp RESULTS.json (speval --out) the script prints sp's numbers
next to its own.

  python -P scripts/hpatches_gf_check.py HPATCHES FEATURES [--ratio 0.95] [--sp r.json]
        [--thresholds 0.5 1.0 ...]
Needs numpy, h5py, torch, kornia, opencv-python, poselib (the venv).
"""
import argparse
import json
from pathlib import Path

import cv2
import h5py
import numpy as np
import poselib
import torch
from kornia.geometry.homography import find_homography_dlt


def warp(H, p):
    q = np.c_[p, np.ones(len(p))] @ H.T
    return q[:, :2] / q[:, 2:]


def corner_error(H, H_gt, w, h):
    c = np.array([[0, 0], [w, 0], [w, h], [0, h]], float)
    with np.errstate(all="ignore"):
        e = np.linalg.norm(warp(H, c) - warp(H_gt, c), axis=1).mean()
    return e if np.isfinite(e) else np.inf


def auc(errors, ths):
    e = np.sort(np.asarray(errors, float))
    r = (np.arange(len(e)) + 1) / len(e)
    e, r = np.r_[0.0, e], np.r_[0.0, r]
    out = []
    for t in ths:
        i = np.searchsorted(e, t)
        out.append(np.trapezoid(np.r_[r[:i], r[i - 1]], x=np.r_[e[:i], t]) / t)
    return out


def nn_matches(d0, d1, ratio):
    sim = torch.from_numpy(d0 @ d1.T)

    def find(s):
        v, i = s.topk(2 if ratio else 1, dim=-1)
        dist = 2 * (1 - v)
        ok = torch.ones(len(s), dtype=torch.bool)
        if ratio:
            ok &= dist[:, 0] <= ratio**2 * dist[:, 1]
        return torch.where(ok, i[:, 0], torch.tensor(-1))

    m0, m1 = find(sim), find(sim.T)
    loop = m1[m0.clamp(min=0)]
    m0 = torch.where((m0 > -1) & (loop == torch.arange(len(m0))), m0, torch.tensor(-1))
    i0 = torch.nonzero(m0 > -1)[:, 0].numpy()
    return i0, m0.numpy()[i0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("hpatches")
    ap.add_argument("features")
    ap.add_argument("--ratio", type=float, default=0.0)
    ap.add_argument("--thresholds", type=float, nargs="+", default=[0.5, 1.0, 1.5, 2.0, 2.5, 3.0])
    ap.add_argument("--sp")
    a = ap.parse_args()
    F = Path(a.features)
    kp, ds = h5py.File(F / "keypoints.h5"), h5py.File(F / "descriptors.h5")
    rows = []
    for seq in sorted(p.name for p in Path(a.hpatches).iterdir() if p.is_dir()):
        img = next(Path(a.hpatches, seq).glob("1.*"))
        h, w = cv2.imread(str(img), cv2.IMREAD_UNCHANGED).shape[:2]
        k0, d0 = kp[f"{seq}-1"][()] + 0.5, ds[f"{seq}-1"][()].astype(np.float32)
        for k in range(2, 7):
            k1, d1 = kp[f"{seq}-{k}"][()] + 0.5, ds[f"{seq}-{k}"][()].astype(np.float32)
            H_gt = np.loadtxt(Path(a.hpatches, seq, f"H_1_{k}"))
            i0, i1 = nn_matches(d0, d1, a.ratio)
            p0, p1 = k0[i0].astype(np.float64), k1[i1].astype(np.float64)
            r = {"pair": f"{seq} 1-{k}", "num_matches": len(i0)}
            err = (np.linalg.norm(warp(H_gt, p0) - p1, axis=1)
                   + np.linalg.norm(warp(np.linalg.inv(H_gt), p1) - p0, axis=1)) / 2
            r["prec@1px"] = float((err < 1).mean()) if len(err) else 0.0
            r["prec@3px"] = float((err < 3).mean()) if len(err) else 0.0
            try:
                t = lambda x: torch.from_numpy(x)[None]
                Hd = find_homography_dlt(t(p0), t(p1), t(np.ones(len(p0))))[0].numpy()
                r["dlt"] = corner_error(Hd, H_gt, w, h)
            except Exception:
                r["dlt"] = np.inf
            for th in a.thresholds:
                Hc, _ = (cv2.findHomography(p0, p1, cv2.RANSAC, th, maxIters=3000,
                                            confidence=0.995) if len(p0) >= 4 else (None, None))
                r[f"opencv{th}"] = corner_error(Hc, H_gt, w, h) if Hc is not None else np.inf
                Hp, _ = poselib.estimate_homography(p0, p1, {"max_reproj_error": th})
                r[f"poselib{th}"] = corner_error(Hp, H_gt, w, h) if len(p0) >= 4 else np.inf
            rows.append(r)
    ths = [1, 3, 5]
    out = {"num_pairs": len(rows), "mnum_matches": float(np.median([r["num_matches"] for r in rows])),
           "mprec@1px": float(np.median([r["prec@1px"] for r in rows])),
           "mprec@3px": float(np.median([r["prec@3px"] for r in rows])),
           "avg_prec@3px": float(np.mean([r["prec@3px"] for r in rows]))}
    d = auc([r["dlt"] for r in rows], ths)
    out.update({f"H_error_dlt@{t}px": v for t, v in zip(ths, d)})
    for est in ("opencv", "poselib"):
        best = max(a.thresholds, key=lambda th: np.mean(auc([r[f"{est}{th}"] for r in rows], ths)))
        for th in a.thresholds:
            v = auc([r[f"{est}{th}"] for r in rows], ths)
            out[f"{est} th{th}"] = " / ".join(f"{x:.4f}" for x in v) + f"  mAA {np.mean(v):.4f}"
        out[f"{est} best th"] = best
    sp = json.load(open(a.sp))["summary"] if a.sp else {}
    for key, v in out.items():
        print(f"{key:28s} {v if isinstance(v, str) else f'{v:.4f}'}"
              + (f"   sp {sp[key]:.4f}" if key in sp and sp[key] is not None else ""))
    for key in ("H_error_ransac@1px", "H_error_ransac@3px", "H_error_ransac@5px",
                "H_error_ransac_mAA", "ransac_th"):
        if key in sp:
            print(f"sp {key:25s} {sp[key]}")


if __name__ == "__main__":
    main()

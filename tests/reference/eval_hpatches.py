"""Independent reference for the HPatches metrics of eval/metrics.h (definitions in
docs/EVALUATION.md): repeatability, MLE, matching score, NN AP, and SuperGlue's pose AUC.
numpy + cv2 (BFMatcher crossCheck for mutual nearest neighbours). Writes
fixtures/eval_hpatches.h5. Run with /usr/bin/python3."""
import os

import cv2
import h5py
import numpy as np

rng = np.random.default_rng(0)


def warp(pts, H):
    p = np.concatenate([pts, np.ones((len(pts), 1))], 1) @ H.T
    return p[:, :2] / p[:, 2:]


def inside(pts, w, h):
    return (pts[:, 0] >= 0) & (pts[:, 0] < w) & (pts[:, 1] >= 0) & (pts[:, 1] < h)


def top_k(scores, k):
    order = np.argsort(-scores, kind="stable")
    return order[:k] if k > 0 else order


def repeatability(kp1, s1, kp2, s2, H, size1, size2, thr, k):
    keep1 = np.where(inside(warp(kp1, H), *size2))[0]
    keep2 = np.where(inside(warp(kp2, np.linalg.inv(H)), *size1))[0]
    keep1 = keep1[top_k(s1[keep1], k)]
    keep2 = keep2[top_k(s2[keep2], k)]
    p1, p2 = warp(kp1[keep1], H), kp2[keep2]
    n1, n2 = len(p1), len(p2)
    if n1 + n2 == 0:
        return 0.0, np.nan
    d = np.linalg.norm(p1[:, None] - p2[None], axis=2)
    m1 = d.min(1) if n2 else np.full(n1, np.inf)
    m2 = d.min(0) if n1 else np.full(n2, np.inf)
    c1, c2 = m1 <= thr, m2 <= thr
    count = c1.sum() + c2.sum()
    mle = (m1[c1].sum() + m2[c2].sum()) / count if count else np.nan
    return count / (n1 + n2), mle


def average_precision(labels, scores):
    # sklearn's definition: sum (R_n - R_{n-1}) P_n over distinct score thresholds.
    if labels.sum() == 0:
        return 0.0
    thresholds = np.unique(scores)[::-1]
    ap, prev_r = 0.0, 0.0
    for t in thresholds:
        sel = scores >= t
        tp = labels[sel].sum()
        r, p = tp / labels.sum(), tp / sel.sum()
        ap += (r - prev_r) * p
        prev_r = r
    return ap


def descriptor_metrics(kp1, s1, d1, kp2, s2, d2, H, size1, size2, k, thr):
    t1, t2 = top_k(s1, k), top_k(s2, k)
    p1, p2, e1, e2 = kp1[t1], kp2[t2], d1[t1], d2[t2]
    matches = cv2.BFMatcher(cv2.NORM_L2, crossCheck=True).match(e1.astype(np.float32), e2.astype(np.float32))
    i1 = np.array([m.queryIdx for m in matches], int)
    i2 = np.array([m.trainIdx for m in matches], int)
    dist = np.linalg.norm(e1[i1] - e2[i2], axis=1)
    labels = (np.linalg.norm(warp(p1[i1], H) - p2[i2], axis=1) <= thr).astype(int)
    shared = inside(warp(p1, H), *size2).sum() + inside(warp(p2, np.linalg.inv(H)), *size1).sum()
    ms = 2 * labels.sum() / shared if shared else 0.0
    return ms, average_precision(labels, -dist), len(matches), labels.sum()


def pose_auc(errors, thresholds):
    order = np.argsort(errors)
    errors = np.array(errors.copy())[order]
    recall = (np.arange(len(errors)) + 1) / len(errors)
    errors = np.r_[0.0, errors]
    recall = np.r_[0.0, recall]
    aucs = []
    for t in thresholds:
        last = np.searchsorted(errors, t)
        r = np.r_[recall[:last], recall[last - 1]]
        e = np.r_[errors[:last], t]
        aucs.append(np.trapz(r, x=e) / t)
    return aucs


def make_pair(i):
    w1, h1, w2, h2 = 320, 240, 300 + 10 * i, 250
    H = np.array([[1 + 0.05 * i, 0.02, 5.0 - 3 * i], [-0.03, 0.95, 4.0 + i], [1e-4 * i, -5e-5, 1.0]])
    n = 150
    kp1 = np.c_[rng.uniform(0, w1, n), rng.uniform(0, h1, n)]
    kp2 = warp(kp1, H) + rng.normal(0, 1.2, (n, 2))  # some beyond 3 px
    kp2 = np.r_[kp2, np.c_[rng.uniform(0, w2, 40), rng.uniform(0, h2, 40)]]  # unrepeated
    kp1 = np.r_[kp1, np.c_[rng.uniform(-20, w1, 30), rng.uniform(0, h1, 30)]]
    s1, s2 = rng.uniform(0, 1, len(kp1)), rng.uniform(0, 1, len(kp2))
    d = rng.normal(0, 1, (len(kp1), 16))
    d1 = d / np.linalg.norm(d, axis=1, keepdims=True)
    noise = rng.normal(0, 0.35, (n, 16))
    d2 = np.r_[d1[:n] + noise, rng.normal(0, 1, (40, 16))]
    d2 /= np.linalg.norm(d2, axis=1, keepdims=True)
    return dict(kp1=kp1, s1=s1, d1=d1.astype(np.float32), kp2=kp2, s2=s2, d2=d2.astype(np.float32), H=H,
                size1=np.array([w1, h1], float), size2=np.array([w2, h2], float))


path = os.path.join(os.path.dirname(__file__), "fixtures", "eval_hpatches.h5")
with h5py.File(path, "w") as f:
    for i in range(3):
        p = make_pair(i)
        g = f.create_group(f"pair{i}")
        for key, value in p.items():
            g[key] = value
        for k in (1000, 60):
            rep, mle = repeatability(p["kp1"], p["s1"], p["kp2"], p["s2"], p["H"], p["size1"], p["size2"], 3.0, k)
            ms, ap, nm, nc = descriptor_metrics(p["kp1"], p["s1"], p["d1"], p["kp2"], p["s2"], p["d2"], p["H"],
                                                p["size1"], p["size2"], k, 3.0)
            g[f"expected_k{k}"] = np.array([rep, mle, ms, ap, nm, nc], float)
    errors = np.r_[rng.uniform(0, 25, 40), [np.inf] * 5]
    f["auc/errors"] = errors
    f["auc/thresholds"] = np.array([1.0, 5.0, 10.0, 20.0])
    f["auc/expected"] = np.array(pose_auc(errors, [1.0, 5.0, 10.0, 20.0]))
print("wrote", path)

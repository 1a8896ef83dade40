"""Ground-truth correspondences by Glue Factory's rules (gluefactory/geometry/gt_generation.py,
depth.py, epipolar.py; matchers.md 1.6), written in PyTorch for
tests/geometry/gt_matches_test.cpp: homography labels and depth + pose labels of small
synthetic pairs, each image labelled on its own unpadded keypoints, then padded (padding
-2, never positive). Two adaptations to sp's pixel-centre convention, where Glue Factory's
keypoints carry +0.5: depth is sampled at (x + 0.5) * 2 / W - 1 by grid_sample
(align_corners=False, i.e. at pixel centre x), and a projection is in the image when
0 <= p <= size - 1. Everything runs in float64. Writes fixtures/geometry_gt_matches.h5.
Run with /usr/bin/python3 -P tests/reference/geometry_gt_matches.py."""
import os

import h5py
import numpy as np
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
OUT = os.path.join(os.path.dirname(__file__), "fixtures", "geometry_gt_matches.h5")


def labels_from_dist(dist, dist0, dist1, pos_th, neg_th, valid0, valid1):
    """Mutual argmin within pos_th -> index; one-way min beyond neg_th -> -1; else -2."""
    n, m = dist.shape
    if n == 0 or m == 0:
        return (torch.zeros(n, m, dtype=torch.bool), -torch.ones(n, dtype=torch.long),
                -torch.ones(m, dtype=torch.long))
    min0 = dist.min(-1).indices
    min1 = dist.min(-2).indices
    ismin0 = torch.zeros(dist.shape, dtype=torch.bool)
    ismin1 = ismin0.clone()
    ismin0.scatter_(-1, min0.unsqueeze(-1), value=1)
    ismin1.scatter_(-2, min1.unsqueeze(-2), value=1)
    positive = ismin0 & ismin1 & (dist < pos_th**2)
    negative0 = (dist0.min(-1).values > neg_th**2) & valid0
    negative1 = (dist1.min(-2).values > neg_th**2) & valid1
    m0 = torch.where(positive.any(-1), min0, torch.tensor(-2))
    m1 = torch.where(positive.any(-2), min1, torch.tensor(-2))
    m0 = torch.where(negative0, torch.tensor(-1), m0)
    m1 = torch.where(negative1, torch.tensor(-1), m1)
    return positive, m0, m1


def warp(points, H):
    p = torch.cat([points, torch.ones_like(points[:, :1])], -1) @ H.T
    return p[:, :2] / (p[:, 2:] + 1e-5)


def gt_homography(kp0, kp1, H, pos_th, neg_th):
    kp0_1, kp1_0 = warp(kp0, H), warp(kp1, torch.inverse(H))
    dist0 = ((kp0_1[:, None] - kp1[None]) ** 2).sum(-1)
    dist1 = ((kp0[:, None] - kp1_0[None]) ** 2).sum(-1)
    ones0 = torch.ones(len(kp0), dtype=torch.bool)
    ones1 = torch.ones(len(kp1), dtype=torch.bool)
    pos, m0, m1 = labels_from_dist(torch.max(dist0, dist1), dist0, dist1, pos_th, neg_th, ones0,
                                   ones1)
    return pos, m0, m1, kp0_1, kp1_0, ones0, ones1


def sample_depth(kp, depth):
    """Glue Factory's sample_depth: grid_sample bilinear, nearest where that is NaN."""
    h, w = depth.shape
    d = torch.where(depth > 0, depth, torch.nan)[None, None]
    grid = torch.stack([(kp[:, 0] + 0.5) * 2 / w - 1, (kp[:, 1] + 0.5) * 2 / h - 1], -1)
    grid = grid[None, None]
    lin = F.grid_sample(d, grid, mode="bilinear", align_corners=False)[0, 0, 0]
    near = F.grid_sample(d, grid, mode="nearest", align_corners=False)[0, 0, 0]
    interp = torch.where(torch.isnan(lin), near, lin)
    valid = ~torch.isnan(interp) & (interp > 0)
    return torch.where(valid, interp, torch.zeros_like(interp)), valid


def project(kp, d, Ki, Kj, R, t, size_j):
    p = torch.stack([(kp[:, 0] - Ki[0, 2]) / Ki[0, 0], (kp[:, 1] - Ki[1, 2]) / Ki[1, 1],
                     torch.ones(len(kp))], -1) * d[:, None]
    q = p @ R.T + t
    z = q[:, 2]
    valid = z > 1e-4
    xy = q[:, :2] / z.clamp(min=1e-4)[:, None]
    uv = xy * torch.stack([Kj[0, 0], Kj[1, 1]]) + torch.stack([Kj[0, 2], Kj[1, 2]])
    inside = ((uv >= 0) & (uv <= size_j - 1)).all(-1)
    return uv, valid & inside


def skew(v):
    return torch.tensor([[0, -v[2], v[1]], [v[2], 0, -v[0]], [-v[1], v[0], 0]])


def sym_epipolar_all(p0, p1, Fm):
    h0 = torch.cat([p0, torch.ones_like(p0[:, :1])], -1)
    h1 = torch.cat([p1, torch.ones_like(p1[:, :1])], -1)
    r = torch.einsum("mi,ij,nj->nm", h1, Fm, h0).abs()
    l0 = h0 @ Fm.T  # F x0, [N, 3]
    l1 = h1 @ Fm  # F^T x1, [M, 3]
    d0 = r / (l0[:, None, 0] ** 2 + l0[:, None, 1] ** 2 + 1e-15).sqrt()
    d1 = r / (l1[None, :, 0] ** 2 + l1[None, :, 1] ** 2 + 1e-15).sqrt()
    return (d0 + d1) / 2


def gt_depth(kp0, kp1, depth0, depth1, K0, K1, T, size0, size1, pos_th, neg_th, epi):
    R, t = T[:3, :3], T[:3, 3]
    Ri, ti = R.T, -R.T @ t
    d0, valid0 = sample_depth(kp0, depth0)
    d1, valid1 = sample_depth(kp1, depth1)
    kp0_1, vis0 = project(kp0, d0, K0, K1, R, t, size1)
    kp1_0, vis1 = project(kp1, d1, K1, K0, Ri, ti, size0)
    vis0, vis1 = vis0 & valid0, vis1 & valid1
    dist0 = ((kp0_1[:, None] - kp1[None]) ** 2).sum(-1)
    dist1 = ((kp0[:, None] - kp1_0[None]) ** 2).sum(-1)
    dist = torch.where(vis0[:, None] & vis1[None], torch.max(dist0, dist1), torch.inf)
    pos, m0, m1 = labels_from_dist(dist, dist0, dist1, pos_th, neg_th, valid0, valid1)
    if epi and len(kp0) and len(kp1):
        Fm = torch.inverse(K1).T @ skew(t) @ R @ torch.inverse(K0)
        e = sym_epipolar_all(kp0, kp1, Fm)
        ignore = (m0[:, None] == -2) & (m1[None] == -2)
        e = torch.where(ignore, e, torch.inf)
        ex0, ex1 = e.min(-1).values > neg_th, e.min(-2).values > neg_th
        m0 = torch.where(~valid0 & ex0, torch.tensor(-1), m0)
        m1 = torch.where(~valid1 & ex1, torch.tensor(-1), m1)
    return pos, m0, m1, kp0_1, kp1_0, vis0, vis1


def pad_outputs(items, N, M):
    """Per-image outputs -> [B, N] / [B, M] / [B, N, M] arrays, padding -2 / 0 / false."""
    out = {k: [] for k in ("assignment", "matches0", "matches1", "proj_0to1", "proj_1to0",
                           "visible0", "visible1")}
    for pos, m0, m1, p01, p10, v0, v1 in items:
        n, m = len(m0), len(m1)
        a = np.zeros((N, M), bool)
        a[:n, :m] = pos.numpy()
        out["assignment"].append(a)
        out["matches0"].append(np.pad(m0.numpy(), (0, N - n), constant_values=-2))
        out["matches1"].append(np.pad(m1.numpy(), (0, M - m), constant_values=-2))
        out["proj_0to1"].append(np.pad(p01.numpy(), ((0, N - n), (0, 0))))
        out["proj_1to0"].append(np.pad(p10.numpy(), ((0, M - m), (0, 0))))
        out["visible0"].append(np.pad(v0.numpy(), (0, N - n)))
        out["visible1"].append(np.pad(v1.numpy(), (0, M - m)))
    return {k: np.stack(v) for k, v in out.items()}


def padded(points, length):
    out = np.zeros((length, 2))
    out[:len(points)] = points
    mask = np.zeros(length, bool)
    mask[:len(points)] = True
    return out, mask


rng = np.random.default_rng(20)
W, H = 160, 120


def noisy_copies(points, count, lo, hi):
    """`count` points near `points` (offsets of length lo..hi px in random directions)."""
    idx = rng.choice(len(points), count, replace=False)
    ang = rng.uniform(0, 2 * np.pi, count)
    r = rng.uniform(lo, hi, count)
    return points[idx] + np.stack([np.cos(ang), np.sin(ang)], -1) * r[:, None]


def homography_case(f):
    counts = [(40, 36), (23, 31)]
    N, M = max(c[0] for c in counts), max(c[1] for c in counts)
    kp0s, kp1s, Hs = [], [], []
    for n, m in counts:
        Hm = np.eye(3) + rng.uniform(-0.08, 0.08, (3, 3)) * [[1, 1, 20], [1, 1, 20], [0.002, 0.002, 0]]
        kp0 = rng.uniform([0, 0], [W - 1, H - 1], (n, 2))
        warped = warp(torch.tensor(kp0), torch.tensor(Hm)).numpy()
        kp1 = np.concatenate([noisy_copies(warped, 14, 0, 2.5), noisy_copies(warped, 6, 3.2, 4.8),
                              rng.uniform([0, 0], [W - 1, H - 1], (m - 20, 2))])
        rng.shuffle(kp1)
        kp0s.append(kp0)
        kp1s.append(kp1)
        Hs.append(Hm)
    for name, (pos_th, neg_th) in {"h35": (3, 5), "h33": (3, 3)}.items():
        items = [gt_homography(torch.tensor(a), torch.tensor(b), torch.tensor(Hm), pos_th, neg_th)
                 for a, b, Hm in zip(kp0s, kp1s, Hs)]
        for k, v in pad_outputs(items, N, M).items():
            f[f"{name}/{k}"] = v
        f[f"{name}/th"] = np.array([pos_th, neg_th], np.float64)
    p0 = [padded(k, N) for k in kp0s]
    p1 = [padded(k, M) for k in kp1s]
    f["h/kp0"] = np.stack([p[0] for p in p0]).astype(np.float64)
    f["h/mask0"] = np.stack([p[1] for p in p0])
    f["h/kp1"] = np.stack([p[0] for p in p1]).astype(np.float64)
    f["h/mask1"] = np.stack([p[1] for p in p1])
    f["h/H"] = np.stack(Hs)


def render_plane_depth(K, R, t, normal, offset):
    """Depth of the world plane n.X = offset seen by camera (R, t: X_cam = R X + t)."""
    ys, xs = np.mgrid[0:H, 0:W].astype(np.float64)
    rays = np.stack([(xs - K[0, 2]) / K[0, 0], (ys - K[1, 2]) / K[1, 1], np.ones_like(xs)], -1)
    # camera centre C = -R^T t; a point at depth z along the ray: X = R^T (z * ray - t).
    n_cam = R @ normal
    c = offset + normal @ (R.T @ t)
    z = c / (rays @ n_cam)
    return np.where(z > 0, z, 0.0)


def depth_case(f):
    counts = [(45, 27), (30, 31)]
    N, M = max(c[0] for c in counts), max(c[1] for c in counts)
    K0 = np.array([[140.0, 0, 79.5], [0, 144.0, 59.5], [0, 0, 1]])
    K1 = np.array([[132.0, 0, 82.0], [0, 132.0, 56.0], [0, 0, 1]])
    normal, offset = np.array([0.1, -0.2, 1.0]) / np.linalg.norm([0.1, -0.2, 1.0]), 6.0
    cases = []
    for b, (n, m) in enumerate(counts):
        a = 0.12 + 0.05 * b
        R1 = torch.tensor([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]]).numpy()
        t1 = np.array([-0.8 - 0.3 * b, 0.1, 0.2])
        R0, t0 = np.eye(3), np.zeros(3)
        d0 = render_plane_depth(K0, R0, t0, normal, offset)
        d1 = render_plane_depth(K1, R1, t1, normal, offset)
        d0[10:64, 84:152] = 0  # holes: keypoints there have no depth
        d1[52:112, 0:68] = 0
        d1[0:16, :] = np.nan if b == 1 else 0
        T = np.eye(4)
        T[:3, :3], T[:3, 3] = R1, t1  # camera 0 = world
        kp0 = rng.uniform([-0.4, -0.4], [W - 0.6, H - 0.6], (n, 2))
        dd0, _ = sample_depth(torch.tensor(kp0), torch.tensor(d0.astype(np.float32)).double())
        ok = dd0.numpy() > 0
        proj, vis = project(torch.tensor(kp0), dd0, torch.tensor(K0), torch.tensor(K1),
                            torch.tensor(R1), torch.tensor(t1), torch.tensor([W, H]))
        near = proj.numpy()[ok & vis.numpy()]
        kp1 = np.concatenate([noisy_copies(near, 16, 0, 2.5), noisy_copies(near, 6, 3.2, 4.8),
                              rng.uniform([0, 0], [W - 1, H - 1], (m - 22, 2))])
        rng.shuffle(kp1)
        cases.append((kp0, kp1, d0.astype(np.float32), d1.astype(np.float32), T))
    for name, epi in {"depth_epi": True, "depth": False}.items():
        items = [gt_depth(torch.tensor(kp0), torch.tensor(kp1), torch.tensor(d0).double(),
                          torch.tensor(d1).double(), torch.tensor(K0), torch.tensor(K1),
                          torch.tensor(T), torch.tensor([W, H]).double(),
                          torch.tensor([W, H]).double(), 3, 5, epi)
                 for kp0, kp1, d0, d1, T in cases]
        for k, v in pad_outputs(items, N, M).items():
            f[f"{name}/{k}"] = v
    p0 = [padded(c[0], N) for c in cases]
    p1 = [padded(c[1], M) for c in cases]
    f["d/kp0"] = np.stack([p[0] for p in p0])
    f["d/mask0"] = np.stack([p[1] for p in p0])
    f["d/kp1"] = np.stack([p[0] for p in p1])
    f["d/mask1"] = np.stack([p[1] for p in p1])
    f["d/depth0"] = np.stack([c[2] for c in cases])
    f["d/depth1"] = np.stack([c[3] for c in cases])
    f["d/K0"] = np.stack([K0, K0])
    f["d/K1"] = np.stack([K1, K1])
    f["d/T_0to1"] = np.stack([c[4] for c in cases])
    f["d/image_size"] = np.array([[W, H], [W, H]], np.float64)


with h5py.File(OUT, "w") as f:
    homography_case(f)
    depth_case(f)
print("wrote", OUT)

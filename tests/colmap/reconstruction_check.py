"""spdetect + spmatch + spcolmap --verify, then pycolmap's incremental mapping on the
database: the reconstruction check of issue 19 (run by tests/colmap/reconstruction_check.sh).

  python reconstruction_check.py --bin BUILD/apps --weights disk-depth-save.pth --work DIR
      [--images FOLDER] [--size 1024] [--n 2048] [--min-registered N] [--max-reprojection 1.5]
      [--json OUT]

Without --images, a synthetic scene is rendered first: the inside corner of a box (three
textured planes) seen by 8 cameras on an arc, 480 x 640, so the check needs no data.
Exits 0 when the largest model registers at least --min-registered images (default: all
but one) with a mean reprojection error below --max-reprojection px, 1 otherwise."""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np


def texture(size, seed):
    """A "dead leaves" colour texture: random disks and squares of power-law sizes drawn over
    each other, with a little shading, so there are sharp, distinct corners at every scale."""
    rng = np.random.default_rng(seed)
    out = np.full((size, size, 3), 0.5)
    y, x = np.mgrid[0:size, 0:size]
    for _ in range(1500):
        r = int(size * 0.25 * rng.random() ** 3) + 3
        cx, cy = rng.integers(0, size, 2)
        x0, x1, y0, y1 = max(cx - r, 0), min(cx + r, size), max(cy - r, 0), min(cy + r, size)
        if x0 >= x1 or y0 >= y1:
            continue
        xs, ys = x[y0:y1, x0:x1], y[y0:y1, x0:x1]
        inside = (xs - cx) ** 2 + (ys - cy) ** 2 <= r * r if rng.random() < 0.6 else np.ones_like(xs, bool)
        shade = 1 + 0.3 * ((xs - cx) / r)
        color = rng.random(3)
        patch = out[y0:y1, x0:x1]
        patch[inside] = (color[None, :] * shade[inside][:, None]).clip(0, 1)
    return out


def render(folder, views=8, height=480, width=640):
    """The inside corner of a box: planes x = 0, y = 0 (floor) and z = 0, each 4 x 4 units
    with its own texture, seen from cameras on an arc around the diagonal."""
    os.makedirs(folder, exist_ok=True)
    tex = [texture(1024, s) for s in (1, 2, 3)]
    f = 0.9 * width
    K = np.array([[f, 0, width / 2], [0, f, height / 2], [0, 0, 1]])
    v, u = np.mgrid[0:height, 0:width].astype(np.float64) + 0.5
    rays_cam = np.stack([(u - K[0, 2]) / f, (v - K[1, 2]) / f, np.ones_like(u)], -1)
    target = np.array([1.2, 1.0, 1.2])
    for i in range(views):
        a = np.deg2rad(20 + 50 * i / (views - 1))
        center = np.array([5.5 * np.cos(a), 3.5 + 0.3 * np.sin(3 * a), 5.5 * np.sin(a)])
        fwd = target - center
        fwd /= np.linalg.norm(fwd)
        right = np.cross(fwd, [0, 1, 0])
        right /= np.linalg.norm(right)
        down = np.cross(fwd, right)
        R = np.stack([right, down, fwd])  # world -> camera rows
        rays = rays_cam @ R  # camera -> world directions
        best = np.full((height, width), np.inf)
        image = np.zeros((height, width, 3))
        for axis in range(3):
            with np.errstate(divide="ignore", invalid="ignore"):
                t = -center[axis] / rays[..., axis]
            p = center[None, None, :] + t[..., None] * rays
            others = [k for k in range(3) if k != axis]
            a0, a1 = p[..., others[0]], p[..., others[1]]
            ok = (t > 0) & (t < best) & (a0 >= 0) & (a0 < 4) & (a1 >= 0) & (a1 < 4)
            iu = np.clip((a0 / 4 * 1023).astype(int), 0, 1023)
            iv = np.clip((a1 / 4 * 1023).astype(int), 0, 1023)
            image[ok] = tex[axis][iv[ok], iu[ok]]
            best[ok] = t[ok]
        pixels = (np.clip(image, 0, 1) * 255).astype(np.uint8)
        with open(os.path.join(folder, f"view_{i:02d}.ppm"), "wb") as out:
            out.write(b"P6\n%d %d\n255\n" % (width, height))
            out.write(pixels.tobytes())
    return views


def run(cmd):
    print("+", " ".join(cmd), flush=True)
    t0 = time.time()
    subprocess.run(cmd, check=True)
    return time.time() - t0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bin", required=True, help="folder with spdetect, spmatch, spcolmap")
    p.add_argument("--weights", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("--images", default="")
    p.add_argument("--min-registered", type=int, default=-1)
    p.add_argument("--max-reprojection", type=float, default=1.5)
    p.add_argument("--size", type=int, default=0, help="spdetect --height/--width (0: images as they are)")
    p.add_argument("--n", type=int, default=2048, help="spdetect --n")
    p.add_argument("--json", default="")
    a = p.parse_args()
    import pycolmap

    os.makedirs(a.work, exist_ok=True)
    images = a.images
    if not images:
        images = os.path.join(a.work, "images")
        count = render(images)
    else:
        count = len([f for f in os.listdir(images) if f.lower().endswith((".jpg", ".jpeg", ".png", ".ppm"))])
    need = a.min_registered if a.min_registered > 0 else count - 1
    out = os.path.join(a.work, "features")
    db = os.path.join(a.work, "database.db")
    sparse = os.path.join(a.work, "sparse")
    times = {}
    resize = ["--height", str(a.size), "--width", str(a.size)] if a.size > 0 else []
    times["spdetect"] = run([os.path.join(a.bin, "spdetect"), images, out, "--model-path", a.weights, *resize,
                             "--n", str(a.n), "--overwrite"])
    times["spmatch"] = run([os.path.join(a.bin, "spmatch"), out, "--rt", "0.95", "--save-threshold", "100",
                            "--overwrite"])
    times["spcolmap"] = run([os.path.join(a.bin, "spcolmap"), out, images, "--database-path", db, "--verify",
                             "--overwrite"])
    os.makedirs(sparse, exist_ok=True)
    t0 = time.time()
    models = pycolmap.incremental_mapping(db, images, sparse)
    times["pycolmap incremental_mapping"] = time.time() - t0
    if not models:
        print("FAIL: pycolmap built no model")
        return 1
    best = max(models.values(), key=lambda r: r.num_reg_images())
    result = {
        "images": count,
        "registered": best.num_reg_images(),
        "models": len(models),
        "points3D": best.num_points3D(),
        "mean_reprojection_error_px": best.compute_mean_reprojection_error(),
        "mean_track_length": best.compute_mean_track_length(),
        "seconds": times,
        "pycolmap": pycolmap.__version__,
    }
    print(json.dumps(result, indent=1))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(result, f, indent=1)
    ok = result["registered"] >= need and result["mean_reprojection_error_px"] < a.max_reprojection
    print(("PASS" if ok else "FAIL") + f": {result['registered']}/{count} images registered (need {need}), "
          f"mean reprojection error {result['mean_reprojection_error_px']:.3f} px "
          f"(need < {a.max_reprojection})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""Small two-view scenes in public dataset layouts, for tests/data/*_test.cpp and the
two-view training tests: built from the Middlebury 2014 "Motorcycle" stereo pair with
ground-truth disparity that Debian's python3-skimage ships (skimage/data/motorcycle_*),
downscaled by 2 more (370 x 250). Views: the left and right images and a crop of each
(a crop is a camera with a shifted principal point and the same pose).

Writes fixtures/two_view_scenes/:
  megadepth/Undistorted_SfM/moto/images/<view>.jpg
  megadepth/depth_undistorted/moto/<view>.h5        /depth f32 (metres), 0 = invalid
  megadepth/scene_info/moto.npz                    image_paths, depth_paths, intrinsics,
      poses, overlap_matrix (object arrays, as MegaDepth's scene_info; K in COLMAP's
      convention, the top-left pixel's centre at (0.5, 0.5)); a fifth entry "unused.jpg"
      with depth_paths None (an unusable image, skipped)
  megadepth/scene_info/broken.npz                  the same without "poses"
  megadepth/valid_pairs.txt                        two pairs and one naming a missing image
  megadepth/Undistorted_SfM/moto/{views,pairs}.txt  the posed-images (MegaDepth-1500) layout
  colmap/sparse/{cameras,images,points3D}.bin and colmap/sparse_text/*.txt: pycolmap's
      SIFT + exhaustive matching + incremental mapping of the four views (PINHOLE cameras fixed to the
      views' known intrinsics)
Depth of the right view: the left disparities forward-warped (nearest pixel, nearest
depth wins). Run with /work/main/.venv/bin/python (needs numpy, h5py, cv2, pycolmap)."""
import os
import shutil
import tempfile

import cv2
import h5py
import numpy as np
import pycolmap

SK = "/usr/lib/python3/dist-packages/skimage/data"
OUT = os.path.join(os.path.dirname(__file__), "fixtures", "two_view_scenes")
S = 2.0  # extra downscale of skimage's quarter-resolution images

left = cv2.imread(os.path.join(SK, "motorcycle_left.png"))
right = cv2.imread(os.path.join(SK, "motorcycle_right.png"))
disp = np.load(os.path.join(SK, "motorcycle_disp.npz"))["arr_0"].astype(np.float64)
H4, W4 = disp.shape
# skimage's calibration of the quarter-resolution images (pixel centres assumed).
f4, cx4, cy4, doffs4, baseline = 994.978, 311.193, 254.877, 31.086, 0.193001

# Which way does the disparity point? Compare left(x) with right(x - d) and right(x + d).
ys, xs = np.nonzero(np.isfinite(disp))
sel = np.random.default_rng(0).choice(len(ys), 5000, replace=False)
ys, xs = ys[sel], xs[sel]
d = disp[ys, xs]
gl = cv2.cvtColor(left, cv2.COLOR_BGR2GRAY).astype(float)
gr = cv2.cvtColor(right, cv2.COLOR_BGR2GRAY).astype(float)
err = {}
for sign in (-1, 1):
    xr = np.clip(np.round(xs + sign * d).astype(int), 0, W4 - 1)
    err[sign] = np.mean(np.abs(gl[ys, xs] - gr[ys, xr]))
assert err[-1] < err[1], err  # left-view disparity: x_right = x_left - d

# Quarter-resolution depth of the left view, then everything downscaled by S.
depth_left4 = np.where(np.isfinite(disp), f4 * baseline / (disp + doffs4), 0.0)
W, H = int(round(W4 / S)), int(round(H4 / S))
f = f4 / S
cx0, cy = (cx4 + 0.5) / S - 0.5, (cy4 + 0.5) / S - 0.5
cx1 = (cx4 + doffs4 + 0.5) / S - 0.5
img = {"left": cv2.resize(left, (W, H), interpolation=cv2.INTER_AREA),
       "right": cv2.resize(right, (W, H), interpolation=cv2.INTER_AREA)}
depth_left = cv2.resize(depth_left4, (W, H), interpolation=cv2.INTER_NEAREST)

# Right depth by forward warping the left view's 3-D points.
K0 = np.array([[f, 0, cx0], [0, f, cy], [0, 0, 1]])
K1 = np.array([[f, 0, cx1], [0, f, cy], [0, 0, 1]])
vy, vx = np.nonzero(depth_left > 0)
z = depth_left[vy, vx]
X = np.stack([(vx - cx0) / f * z, (vy - cy) / f * z, z], -1) - [baseline, 0, 0]
u = np.round(X[:, 0] / X[:, 2] * f + cx1).astype(int)
v = np.round(X[:, 1] / X[:, 2] * f + cy).astype(int)
ok = (u >= 0) & (u < W) & (v >= 0) & (v < H)
depth_right = np.full((H, W), np.inf)
np.minimum.at(depth_right, (v[ok], u[ok]), X[ok, 2])
depth_right[~np.isfinite(depth_right)] = 0

views = {}  # name: (image, depth, K (pixel centres), R, t)
I3 = np.eye(3)
views["left"] = (img["left"], depth_left, K0, I3, np.zeros(3))
views["right"] = (img["right"], depth_right, K1, I3, np.array([-baseline, 0, 0]))
for name, base, (x0, y0, w, h) in (("left_crop", "left", (70, 20, 280, 200)),
                                   ("right_crop", "right", (10, 40, 260, 190))):
    im, dp, K, R, t = views[base]
    Kc = K.copy()
    Kc[0, 2] -= x0
    Kc[1, 2] -= y0
    views[name] = (im[y0:y0 + h, x0:x0 + w].copy(), dp[y0:y0 + h, x0:x0 + w].copy(), Kc, R, t)
names = list(views)


def overlap(i, j):
    """Fraction of view i's valid depth pixels that land inside view j, at a depth within
    5 % of j's (where j has one)."""
    _, di, Ki, Ri, ti = views[i]
    _, dj, Kj, Rj, tj = views[j]
    yy, xx = np.nonzero(di > 0)
    zz = di[yy, xx]
    P = np.stack([(xx - Ki[0, 2]) / Ki[0, 0] * zz, (yy - Ki[1, 2]) / Ki[1, 1] * zz, zz], -1)
    Pw = (P - ti) @ Ri  # camera i -> world (R^T (P - t))
    Q = Pw @ Rj.T + tj
    uu = np.round(Q[:, 0] / Q[:, 2] * Kj[0, 0] + Kj[0, 2]).astype(int)
    vv = np.round(Q[:, 1] / Q[:, 2] * Kj[1, 1] + Kj[1, 2]).astype(int)
    hj, wj = dj.shape
    inside = (uu >= 0) & (uu < wj) & (vv >= 0) & (vv < hj) & (Q[:, 2] > 0)
    dd = np.zeros(len(uu))
    dd[inside] = dj[vv[inside], uu[inside]]
    consistent = inside & ((dd <= 0) | (np.abs(dd - Q[:, 2]) < 0.05 * Q[:, 2]))
    return float(consistent.mean()) if len(zz) else 0.0


if os.path.exists(OUT):
    shutil.rmtree(OUT)
md = os.path.join(OUT, "megadepth")
scene_dir = os.path.join(md, "Undistorted_SfM", "moto")
os.makedirs(os.path.join(scene_dir, "images"))
os.makedirs(os.path.join(md, "depth_undistorted", "moto"))
os.makedirs(os.path.join(md, "scene_info"))
for name, (im, dp, K, R, t) in views.items():
    cv2.imwrite(os.path.join(scene_dir, "images", name + ".jpg"), im,
                [cv2.IMWRITE_JPEG_QUALITY, 90])
    with h5py.File(os.path.join(md, "depth_undistorted", "moto", name + ".h5"), "w") as fh:
        # Millimetre steps compress well (gzip + shuffle); far below the GT thresholds.
        fh.create_dataset("depth", data=(np.round(dp * 1000) / 1000).astype(np.float32),
                          compression="gzip", shuffle=True)

n = len(names) + 1  # + an unusable image
image_paths = np.empty(n, dtype=object)
depth_paths = np.empty(n, dtype=object)
intrinsics = np.empty(n, dtype=object)
poses = np.empty(n, dtype=object)
ov = np.zeros((n, n))
for k, name in enumerate(names):
    _, _, K, R, t = views[name]
    image_paths[k] = f"Undistorted_SfM/moto/images/{name}.jpg"
    depth_paths[k] = f"depth_undistorted/moto/{name}.h5"
    Kcorner = K.copy()
    Kcorner[:2, 2] += 0.5
    intrinsics[k] = Kcorner
    T = np.eye(4)
    T[:3, :3], T[:3, 3] = R, t
    poses[k] = T
    for m, other in enumerate(names):
        if other != name:
            ov[k, m] = min(overlap(name, other), overlap(other, name))
image_paths[n - 1] = "Undistorted_SfM/moto/images/unused.jpg"
depth_paths[n - 1] = None
intrinsics[n - 1] = np.eye(3)
poses[n - 1] = np.eye(4)
info = dict(image_paths=image_paths, depth_paths=depth_paths, intrinsics=intrinsics,
            poses=poses, overlap_matrix=ov)
np.savez(os.path.join(md, "scene_info", "moto.npz"), **info)
del info["poses"]
np.savez(os.path.join(md, "scene_info", "broken.npz"), **info)
with open(os.path.join(md, "valid_pairs.txt"), "w") as fp:
    fp.write("moto/images/left.jpg moto/images/right.jpg\n"
             "moto/images/left_crop.jpg moto/images/missing.jpg\n"
             "moto/images/right_crop.jpg moto/images/left.jpg\n")

# The posed-images layout (MegaDepth-1500's views.txt / pairs.txt) over the same images.
with open(os.path.join(scene_dir, "views.txt"), "w") as fp:
    for name in names:
        im, _, K, R, t = views[name]
        h, w = im.shape[:2]
        vals = list(R.ravel()) + list(t) + ["PINHOLE", w, h, K[0, 0], K[1, 1], K[0, 2] + 0.5,
                                            K[1, 2] + 0.5]
        fp.write(name + ".jpg " + " ".join(str(x) for x in vals) + "\n")
with open(os.path.join(scene_dir, "pairs.txt"), "w") as fp:
    fp.write("left.jpg right.jpg\nleft_crop.jpg right.jpg\nleft.jpg right_crop.jpg\n")

# COLMAP: pycolmap SfM of the four views.
col = os.path.join(OUT, "colmap")
work = tempfile.mkdtemp()
db = os.path.join(work, "database.db")
# Each view's known intrinsics as a PINHOLE prior (COLMAP's pixel convention), kept fixed:
# focal lengths are not observable from two nearly rectified views.
for name in names:
    im, _, K, _, _ = views[name]
    reader = pycolmap.ImageReaderOptions()
    reader.camera_model = "PINHOLE"
    reader.camera_params = ",".join(str(x) for x in (K[0, 0], K[1, 1], K[0, 2] + 0.5,
                                                     K[1, 2] + 0.5))
    pycolmap.extract_features(db, os.path.join(scene_dir, "images"), image_names=[name + ".jpg"],
                              reader_options=reader,
                              camera_mode=pycolmap.CameraMode.PER_IMAGE)
pycolmap.match_exhaustive(db)
mapper = pycolmap.IncrementalPipelineOptions()
mapper.ba_refine_focal_length = False
mapper.ba_refine_principal_point = False
mapper.ba_refine_extra_params = False
recs = pycolmap.incremental_mapping(db, os.path.join(scene_dir, "images"), work, options=mapper)
best = max(recs.values(), key=lambda r: r.num_reg_images())
print("colmap:", best.summary())
os.makedirs(os.path.join(col, "sparse"))
os.makedirs(os.path.join(col, "sparse_text"))
best.write_binary(os.path.join(col, "sparse"))
best.write_text(os.path.join(col, "sparse_text"))
shutil.rmtree(work)
print("overlap:\n", np.round(ov, 3))
print("wrote", OUT)

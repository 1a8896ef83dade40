"""Feature and match files written by h5py in the layouts users exchange (matchers.md 6.1
and 6.3), for tests/features/feature_files_test.cpp: what hloc's extract_features /
match_features and DISK's detect.py / match.py write (their dtypes, shapes, key names),
with small deterministic values. Writes fixtures/feature_files/. Run with
/usr/bin/python3 -P tests/reference/feature_files.py."""
import os

import h5py
import numpy as np

out = os.path.join(os.path.dirname(__file__), "fixtures", "feature_files")
os.makedirs(os.path.join(out, "disk"), exist_ok=True)

rng = np.random.default_rng(7)
images = {"seq/a.jpg": (5, 640, 480), "b.png": (3, 320, 240)}  # name: (N, W, H)
feats = {}
for name, (n, w, h) in images.items():
    kp = (rng.random((n, 2)) * [w, h]).astype(np.float32)
    desc = rng.standard_normal((n, 4)).astype(np.float32)
    desc /= np.linalg.norm(desc, axis=1, keepdims=True)
    feats[name] = (kp, rng.random(n).astype(np.float32), desc, (w, h))

# hloc features.h5 (as_half=True): keypoints/scores/descriptors float16, descriptors [D, N],
# image_size int64 (W, H), an uncertainty attribute on keypoints.
with h5py.File(os.path.join(out, "hloc_features.h5"), "w") as f:
    for name, (kp, sc, desc, size) in feats.items():
        g = f.create_group(name)
        g.create_dataset("keypoints", data=kp.astype(np.float16))
        g.create_dataset("scores", data=sc.astype(np.float16))
        g.create_dataset("descriptors", data=desc.T.astype(np.float16))
        g.create_dataset("image_size", data=np.array(size, dtype=np.int64))
        g["keypoints"].attrs["uncertainty"] = 2.0

# hloc matches.h5: pair key with '/' inside names replaced by '-'; int16 matches0 and
# float16 matching_scores0 over image 0's keypoints.
m0 = np.array([2, -1, 0, -1, 1], dtype=np.int16)
with h5py.File(os.path.join(out, "hloc_matches.h5"), "w") as f:
    g = f.create_group("seq-a.jpg/b.png")
    g.create_dataset("matches0", data=m0)
    g.create_dataset("matching_scores0", data=np.array([0.9, 0, 0.5, 0, 0.25], dtype=np.float16))

# DISK: keys are names without extension; keypoints float32 [N, 2], descriptors float32
# [N, D], scores float32 [N]; matches.h5 group name0 -> dataset name1 (name0 < name1),
# int64 [2, K].
with h5py.File(os.path.join(out, "disk", "keypoints.h5"), "w") as fk, \
        h5py.File(os.path.join(out, "disk", "descriptors.h5"), "w") as fd, \
        h5py.File(os.path.join(out, "disk", "scores.h5"), "w") as fs:
    for name, (kp, sc, desc, size) in feats.items():
        key = os.path.splitext(os.path.basename(name))[0]
        fk.create_dataset(key, data=kp)
        fd.create_dataset(key, data=desc)
        fs.create_dataset(key, data=sc)
with h5py.File(os.path.join(out, "disk", "matches.h5"), "w") as f:
    f.create_group("a").create_dataset("b", data=np.array([[0, 2, 4], [2, 0, 1]], dtype=np.int64))

# The expected values in full precision, for comparison.
with h5py.File(os.path.join(out, "expected.h5"), "w") as f:
    for name, (kp, sc, desc, size) in feats.items():
        key = name.replace("/", "_")
        f.create_dataset(key + "/keypoints", data=kp)
        f.create_dataset(key + "/scores", data=sc)
        f.create_dataset(key + "/descriptors", data=desc)
print("wrote", out)

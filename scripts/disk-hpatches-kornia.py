"""kornia's DISK on HPatches, written in the predictions layout speval reads
(docs/EVALUATION.md), with the same preprocessing as `speval --checkpoint ... --model disk
--conf configs/disk_hpatches_export.toml` (procedures/hpatches_export.cpp, "crop"): RGB in
[0, 1] (gray images repeated), resized by s = max(480 / h, 640 / w) with cv2's
INTER_LINEAR on floats to (max(480, round(h s)), max(640, round(w s))), centre-cropped to
480 x 640; kornia's DISK (pad_if_not_divisible, window 5, threshold 0, every maximum);
keypoints mapped back to original pixels; processing_width/height = the uncropped size.

Usage: python -P scripts/disk-hpatches-kornia.py HPATCHES_DIR WEIGHTS OUT.h5 [--size 480 640]
Then:  speval --repeatability --homography --matching-score --nn-map --top-k 1000 \
           --data-dir HPATCHES_DIR --predictions OUT.h5"""
import argparse
import math
import os

import cv2
import h5py
import numpy as np
import torch
from kornia.feature import DISK


def read_rgb(path):
    image = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if image.ndim == 2:
        image = np.repeat(image[:, :, None], 3, axis=2)
    else:
        image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    return image.astype(np.float32) / 255.0


def resize_and_crop(image, size):
    h, w = image.shape[:2]
    s = max(size[0] / h, size[1] / w)
    nh = max(size[0], math.floor(h * s + 0.5))
    nw = max(size[1], math.floor(w * s + 0.5))
    big = cv2.resize(image, (nw, nh), interpolation=cv2.INTER_LINEAR)
    oy, ox = (nh - size[0]) // 2, (nw - size[1]) // 2
    sx, sy = nw / w, nh / h
    crop = big[oy : oy + size[0], ox : ox + size[1]]
    return np.ascontiguousarray(crop), (sx, sy, ox, oy), (nh, nw)


def image_path(folder, k):
    for ext in (".ppm", ".pgm", ".png", ".jpg"):
        p = os.path.join(folder, f"{k}{ext}")
        if os.path.exists(p):
            return p
    raise FileNotFoundError(os.path.join(folder, f"{k}.ppm"))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("hpatches")
    p.add_argument("weights")
    p.add_argument("out")
    p.add_argument("--size", type=int, nargs=2, default=[480, 640])
    a = p.parse_args()
    torch.set_grad_enabled(False)
    model = DISK()
    model.load_state_dict(torch.load(a.weights, map_location="cpu")["extractor"])
    model.eval()
    sequences = sorted(
        d for d in os.listdir(a.hpatches) if d[:2] in ("i_", "v_") and os.path.isdir(os.path.join(a.hpatches, d))
    )
    with h5py.File(a.out, "w") as f:
        for seq in sequences:
            total = 0
            for k in range(1, 7):
                image = read_rgb(image_path(os.path.join(a.hpatches, seq), k))
                crop, (sx, sy, ox, oy), (nh, nw) = resize_and_crop(image, a.size)
                x = torch.from_numpy(crop).permute(2, 0, 1)[None].contiguous()
                feats = model(x, n=None, pad_if_not_divisible=True)[0]
                kp = feats.keypoints.double().numpy()
                # Input pixels -> original pixels (the inverse of the half-pixel resize + crop).
                kp[:, 0] = (kp[:, 0] + ox - 0.5 * sx + 0.5) / sx
                kp[:, 1] = (kp[:, 1] + oy - 0.5 * sy + 0.5) / sy
                g = f.create_group(f"{seq}/{k}")
                g["keypoints"] = kp.astype(np.float32)
                g["scores"] = feats.detection_scores.numpy().astype(np.float32)
                g["descriptors"] = feats.descriptors.numpy().astype(np.float32)
                g.attrs["processing_height"] = np.int64(nh)
                g.attrs["processing_width"] = np.int64(nw)
                total += kp.shape[0]
            print(f"{seq}: {total // 6} keypoints per image", flush=True)
    print("wrote", a.out)


if __name__ == "__main__":
    main()

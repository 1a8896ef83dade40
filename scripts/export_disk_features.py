#!/usr/bin/env python3
"""Reference features for pose checks while sp has no pretrained extractor of its own
here: DISK (kornia's implementation, the released `disk-depth-save.pth` weights) on every
image a pair list names, written in sp's feature layout (features/feature_files.h: a
group per image name with keypoints [N, 2] in ORIGINAL pixels, integer pixel centres,
scores [N], descriptors [N, 128] f32).

  scripts/export_disk_features.py PAIRS.txt IMAGE_DIR WEIGHTS.pth OUT.h5
        [--resize W H] [--max-keypoints 2048]

`speval --pose --pairs PAIRS.txt --predictions OUT.h5` then matches them by mutual nearest
neighbours (docs/EVALUATION.md, "Relative pose").
"""
import argparse

import h5py
import numpy as np
import torch
from PIL import Image


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("pairs")
    ap.add_argument("image_dir")
    ap.add_argument("weights")
    ap.add_argument("out")
    ap.add_argument("--resize", type=int, nargs=2, default=[640, 480], metavar=("W", "H"))
    ap.add_argument("--max-keypoints", type=int, default=2048)
    args = ap.parse_args()

    import kornia.feature as KF

    disk = KF.DISK()
    state = torch.load(args.weights, map_location="cpu", weights_only=False)
    if "extractor" in state:
        state = state["extractor"]
    disk.load_state_dict(state)
    disk.eval()

    names = []
    with open(args.pairs) as f:
        for line in f:
            tok = line.split()
            for n in tok[:2]:
                if n not in names:
                    names.append(n)
    W, H = args.resize
    with h5py.File(args.out, "w") as out, torch.no_grad():
        for name in names:
            img = Image.open(f"{args.image_dir}/{name}").convert("RGB")
            w0, h0 = img.size
            small = img.resize((W, H), Image.BILINEAR)
            x = torch.from_numpy(np.asarray(small, np.float32) / 255.0).permute(2, 0, 1)[None]
            feats = disk(x, n=args.max_keypoints, window_size=5, score_threshold=0.0,
                         pad_if_not_divisible=True)[0]
            kp = feats.keypoints.numpy().astype(np.float64)
            kp[:, 0] = (kp[:, 0] + 0.5) * (w0 / W) - 0.5
            kp[:, 1] = (kp[:, 1] + 0.5) * (h0 / H) - 0.5
            g = out.create_group(name)
            g["keypoints"] = kp.astype(np.float32)
            g["scores"] = feats.detection_scores.numpy().astype(np.float32)
            g["descriptors"] = feats.descriptors.numpy().astype(np.float32)
            print(f"{name}: {len(kp)} keypoints")


if __name__ == "__main__":
    main()

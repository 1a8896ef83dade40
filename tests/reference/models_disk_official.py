"""kornia 0.9.0's DISK with the official weights on the HPatches-4 images of ../shared/data
(matchers.md Corrections 9-12: pad_if_not_divisible, NMS window 5, threshold 0), at each
image's own size (none is a multiple of 16 on both sides but v_graffiti), in a compact
fixture for tests/models/disk_official_test.cpp (which skips without ../shared):
  <seq>/<k>/keypoints   int16 [2048, 2], the top-2048 keypoints (kornia's n), raster order
  <seq>/<k>/scores      f32 [2048], their heatmap logits
  <seq>/<k>/count       i64, the number of keypoints without n
  <seq>/<k>/descriptors f32 [16, 128], the L2-normalised descriptors of the first 16
  <seq>/<k>/grid        f32 [ceil(H/32), ceil(W/32)], the heatmap every 32nd pixel
With --maps DIR it also writes DIR/<seq>_<k>.h5 with the full maps (image, heatmap,
dense descriptors, every keypoint) for the full comparison of scripts/disk-parity.sh.
Run: /work/main/.venv/bin/python -P tests/reference/models_disk_official.py [--maps DIR]"""
import argparse
import os

import cv2
import h5py
import numpy as np
import torch
from kornia.feature import DISK
from kornia.feature.disk.detector import heatmap_to_keypoints

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.join(HERE, "..", "..", "..", "shared")
WEIGHTS = os.path.join(SHARED, "weights", "disk-depth-save.pth")
HPATCHES = os.path.join(SHARED, "data", "hpatches-sequences-release")


def read_rgb(path):
    image = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if image.ndim == 2:
        image = np.repeat(image[:, :, None], 3, axis=2)
    else:
        image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    return torch.from_numpy(image.astype(np.float32) / 255.0).permute(2, 0, 1).contiguous()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--maps", default="")
    args = parser.parse_args()
    torch.set_grad_enabled(False)
    model = DISK()
    model.load_state_dict(torch.load(WEIGHTS, map_location="cpu")["extractor"])
    model.eval()
    out = {}
    for seq in sorted(os.listdir(HPATCHES)):
        for k in range(1, 7):
            names = [f for f in os.listdir(os.path.join(HPATCHES, seq)) if f.startswith(f"{k}.")]
            image = read_rgb(os.path.join(HPATCHES, seq, names[0]))[None]
            H, W = image.shape[2:]
            # DISK.forward(image, n, pad_if_not_divisible=True) with one U-Net pass for both n.
            padded = torch.nn.functional.pad(image, (0, (16 - W % 16) % 16, 0, (16 - H % 16) % 16))
            heat, desc = model.heatmap_and_dense_descriptors(padded)
            heat, desc = heat[..., :H, :W], desc[..., :H, :W]
            every = heatmap_to_keypoints(heat, n=None)[0].merge_with_descriptors(desc[0])
            top = heatmap_to_keypoints(heat, n=2048)[0].merge_with_descriptors(desc[0])
            heat, desc = heat[0, 0], desc[0]
            key = f"{seq}/{k}/"
            out[key + "keypoints"] = top.keypoints.numpy().astype(np.int16)
            out[key + "scores"] = top.detection_scores.numpy()
            out[key + "count"] = np.array(every.keypoints.shape[0], dtype=np.int64)
            out[key + "descriptors"] = top.descriptors[:16].numpy()
            out[key + "grid"] = heat[::32, ::32].contiguous().numpy()
            print(seq, k, (H, W), "keypoints", every.keypoints.shape[0], flush=True)
            if args.maps:
                os.makedirs(args.maps, exist_ok=True)
                with h5py.File(os.path.join(args.maps, f"{seq}_{k}.h5"), "w") as f:
                    f["image"] = image[0].numpy()
                    f["heatmap"] = heat.contiguous().numpy()
                    f["descriptors"] = desc.contiguous().numpy()
                    f["keypoints"] = every.keypoints.numpy().astype(np.float32)
                    f["scores"] = every.detection_scores.numpy()
    path = os.path.join(HERE, "fixtures", "models_disk_official.h5")
    with h5py.File(path, "w") as f:
        for name, value in out.items():
            if value.ndim:
                f.create_dataset(name, data=value, compression="gzip", compression_opts=9, shuffle=True)
            else:
                f[name] = value
    print("wrote", path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()

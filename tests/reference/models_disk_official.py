"""kornia 0.9.0's DISK with the official weights on the HPatches-4 images of ../shared/data
(matchers.md Corrections 9-12: pad_if_not_divisible, NMS window 5, threshold 0), at each
image's own size (none is a multiple of 16 on both sides but v_graffiti), in a compact
fixture for tests/models/disk_official_test.cpp (which skips without ../shared).

The network runs in float64 (the weights and image converted): the heatmap logits reach
|490|, where float32 itself is off by up to 1.2e-2 (kornia's own f32 run against its f64
run), and near-ties at the threshold, between neighbouring pixels or at the top-n cut
then decide keypoints differently (kornia's f32 differs on 7 of the 24 images; e.g.
i_leuven/1 has a maximum at logit 2.6e-4 that kornia's f32 puts at -1.4e-4, v_bikes/3's
2048th and 2049th scores are 1.5e-4 apart).
The f64 maps are the exact answer both f32 implementations approximate; the script
prints, per image, whether kornia's f32 keypoints agree with them.
  <seq>/<k>/keypoints   int16 [2048, 2], the top-2048 keypoints (kornia's n), raster order
  <seq>/<k>/scores      f32 [2048], their heatmap logits
  <seq>/<k>/count       i64, the number of keypoints without n
  <seq>/<k>/descriptors f32 [16, 128], the L2-normalised descriptors of the first 16
  <seq>/<k>/grid        f32 [ceil(H/32), ceil(W/32)], the heatmap every 32nd pixel
With --maps DIR it also writes DIR/<seq>_<k>.h5 with the full maps (image, heatmap,
dense descriptors, every keypoint) for the full comparison of scripts/disk-parity.sh.
Run: /work/main/.venv/bin/python -P tests/reference/models_disk_official.py [--maps DIR]"""
import argparse
import copy
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
    model64 = copy.deepcopy(model).double()
    out = {}
    for seq in sorted(os.listdir(HPATCHES)):
        for k in range(1, 7):
            names = [f for f in os.listdir(os.path.join(HPATCHES, seq)) if f.startswith(f"{k}.")]
            image = read_rgb(os.path.join(HPATCHES, seq, names[0]))[None]
            H, W = image.shape[2:]
            # DISK.forward(image, n, pad_if_not_divisible=True) with one U-Net pass for both n.
            padded = torch.nn.functional.pad(image, (0, (16 - W % 16) % 16, 0, (16 - H % 16) % 16))
            heat32, _ = model.heatmap_and_dense_descriptors(padded)
            heat32 = heat32[..., :H, :W]
            heat, desc = model64.heatmap_and_dense_descriptors(padded.double())
            heat, desc = heat[..., :H, :W], desc[..., :H, :W]
            every = heatmap_to_keypoints(heat, n=None)[0].merge_with_descriptors(desc[0])
            top = heatmap_to_keypoints(heat, n=2048)[0].merge_with_descriptors(desc[0])
            every32 = heatmap_to_keypoints(heat32, n=None)[0]
            top32 = heatmap_to_keypoints(heat32, n=2048)[0]
            same_all = torch.equal(every32.xys, every.keypoints.long())
            same_top = torch.equal(top32.xys, top.keypoints.long())
            f32_error = (heat32.double() - heat).abs().max().item()
            heat, desc = heat[0, 0], desc[0]
            key = f"{seq}/{k}/"
            out[key + "keypoints"] = top.keypoints.numpy().astype(np.int16)
            out[key + "scores"] = top.detection_scores.float().numpy()
            out[key + "count"] = np.array(every.keypoints.shape[0], dtype=np.int64)
            out[key + "descriptors"] = top.descriptors[:16].float().numpy()
            out[key + "grid"] = heat[::32, ::32].contiguous().float().numpy()
            print(seq, k, (H, W), "keypoints", every.keypoints.shape[0], "kornia f32: heatmap off by",
                  f"{f32_error:.2e},", "same maxima" if same_all else "OTHER MAXIMA",
                  "same top-2048" if same_top else "OTHER TOP-2048", flush=True)
            if args.maps:
                os.makedirs(args.maps, exist_ok=True)
                with h5py.File(os.path.join(args.maps, f"{seq}_{k}.h5"), "w") as f:
                    f["image"] = image[0].numpy()
                    f["heatmap"] = heat.contiguous().float().numpy()
                    f["descriptors"] = desc.contiguous().float().numpy()
                    f["keypoints"] = every.keypoints.numpy().astype(np.float32)
                    f["scores"] = every.detection_scores.float().numpy()
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

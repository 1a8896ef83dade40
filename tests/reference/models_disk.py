"""DISK references from kornia 0.9.0 (matchers.md section 4 and Corrections 9-13):
  models_disk_tiny.pth: a small random-weight DISK (down [4, 8, 8, 8, 8], up [8, 8, 8, 9],
    descriptor dim 8) in the official file's layout: legacy torch.save of
    {'extractor': state_dict} with kornia's names (unet.path_down.{i}.1.{1,3}.*, ...);
  models_disk.h5: its heatmaps, dense descriptors and features (kornia's DISK.forward with
    pad_if_not_divisible, n = None and n = 12) on images whose sides are not multiples of
    16, and kornia's heatmap_to_keypoints on tie-heavy integer heatmaps.
Run: /work/main/.venv/bin/python -P tests/reference/models_disk.py (PyTorch 2.x + kornia)."""
import os

import h5py
import torch
from kornia.feature import DISK
from kornia.feature.disk._unets import Unet
from kornia.feature.disk.detector import heatmap_to_keypoints

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
D = 8

torch.manual_seed(19)
model = DISK(desc_dim=D, unet=Unet(in_features=3, size=5, down=[4, 8, 8, 8, 8], up=[8, 8, 8, D + 1]))
with torch.no_grad():
    for name, p in model.named_parameters():
        if name.endswith(".1.weight"):  # PReLU slopes: not all 0.25, so a mix-up shows
            p.copy_(torch.rand_like(p) * 0.5)
        elif name.endswith("bias"):
            p.copy_(torch.randn_like(p) * 0.1)
        else:  # conv weights: He-like scale so the maps stay O(1) through the U-Net
            fan_in = p[0].numel()
            p.copy_(torch.randn_like(p) * (2.0 / fan_in) ** 0.5)
model.eval()
torch.save({"extractor": model.state_dict()}, os.path.join(HERE, "models_disk_tiny.pth"),
           _use_new_zipfile_serialization=False)

out = {}
images = torch.rand(2, 3, 40, 56)  # 40 and 56 are not multiples of 16: padded to 48 x 64
with torch.no_grad():
    padded = torch.nn.functional.pad(images, (0, 8, 0, 8))
    heat, desc = model.heatmap_and_dense_descriptors(padded)
    out["images"] = images
    out["heatmap"] = heat[..., :40, :56].contiguous()
    out["descriptors"] = desc[..., :40, :56].contiguous()
    for tag, n in (("all", None), ("n12", 12)):
        feats = model(images, n=n, window_size=5, score_threshold=0.0, pad_if_not_divisible=True)
        for b, f in enumerate(feats):
            out[f"{tag}/{b}/keypoints"] = f.keypoints.float()
            out[f"{tag}/{b}/scores"] = f.detection_scores
            out[f"{tag}/{b}/descriptors"] = f.descriptors

# Tie-heavy heatmaps: integers 0..5 (plateaus, equal maxima), thresholds 0 and 2.5.
g = torch.Generator().manual_seed(3)
ties = torch.randint(0, 6, (2, 1, 23, 31), generator=g).float()
ties[0, 0, 10:13, 10:13] = 9.0  # a plateau at the top of the map: no keypoint
ties[1, 0, 5, 7] = 9.5  # an isolated maximum
out["ties/heatmap"] = ties
# Isolated spikes 5 px apart scoring 1, 2 or 3: many maxima tied at the top-n cut.
spikes = torch.full((2, 1, 23, 31), -1.0)
spikes[:, :, 2:21:5, 2:29:5] = torch.randint(1, 4, (2, 1, 4, 6), generator=g).float()
out["spikes/heatmap"] = spikes
cases = (("ties", "t0_all", None, 0.0, 5), ("ties", "t0_n5", 5, 0.0, 5), ("ties", "t25_n3", 3, 2.5, 5),
         ("ties", "w3_all", None, 0.0, 3), ("ties", "w3_n10", 10, 0.0, 3), ("spikes", "all", None, 0.0, 5),
         ("spikes", "n7", 7, 0.0, 5), ("spikes", "t15_n4", 4, 1.5, 5))
for src, tag, n, thr, window in cases:
    heat = ties if src == "ties" else spikes
    kps = heatmap_to_keypoints(heat, n=n, window_size=window, score_threshold=thr)
    for b, k in enumerate(kps):
        out[f"{src}/{tag}/{b}/keypoints"] = k.xys.float()
        out[f"{src}/{tag}/{b}/scores"] = k.detection_logp

with h5py.File(os.path.join(HERE, "models_disk.h5"), "w") as f:
    for k, v in out.items():
        f[k] = v.detach().numpy()
print("wrote", len(out), "datasets;", {k: tuple(v.shape) for k, v in out.items() if "keypoints" in k})

# cv2 references for data/image_io + data/resize: a generated float image, its resizes
# (INTER_LINEAR and INTER_AREA, down and up), and its gray conversion.
import os
import cv2
import h5py
import numpy as np

rng = np.random.RandomState(0)
h, w = 37, 53
yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
rgb = np.stack([(np.sin(xx / 5) + 1) / 2, (np.cos(yy / 7) + 1) / 2, rng.rand(h, w)], 0).astype(np.float32)
gray = rgb[0]
out = {"rgb": rgb}
# cv2's RGB2GRAY on float: 0.299 R + 0.587 G + 0.114 B
out["gray"] = cv2.cvtColor(np.ascontiguousarray(rgb.transpose(1, 2, 0)), cv2.COLOR_RGB2GRAY)[None]
for name, interp in [("linear", cv2.INTER_LINEAR), ("area", cv2.INTER_AREA)]:
    for (oh, ow) in [(12, 20), (18, 26), (9, 13), (50, 71), (37, 53), (20, 80)]:
        out[f"{name}_{oh}x{ow}"] = cv2.resize(gray, (ow, oh), interpolation=interp)
path = os.path.join(os.path.dirname(__file__), "fixtures", "data_image.h5")
with h5py.File(path, "w") as f:
    for k, v in out.items():
        f.create_dataset(k, data=v)

# A small RGB JPEG (red ramp) and 16-bit gray / RGBA PNGs, written by cv2 (BGR order).
fx = os.path.join(os.path.dirname(__file__), "fixtures")
bgr = np.zeros((24, 32, 3), np.uint8)
bgr[:, :, 2] = np.linspace(0, 255, 32).astype(np.uint8)[None, :]
cv2.imwrite(os.path.join(fx, "data_small.jpg"), bgr, [cv2.IMWRITE_JPEG_QUALITY, 95])
g16 = (np.arange(20, dtype=np.uint16) * 1000).reshape(4, 5)
g16[3, 4] = 65535
cv2.imwrite(os.path.join(fx, "data_16bit.png"), g16)
rgba = np.zeros((4, 5, 4), np.uint8)
rgba[..., 3] = 128
cv2.imwrite(os.path.join(fx, "data_rgba.png"), rgba)

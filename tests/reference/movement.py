"""PyTorch reference for tensor/ops/movement: writes fixtures/movement.h5.
Run with /usr/bin/python3 (Debian's torch). Inputs are arange-based so the C++ test can
rebuild them exactly; only the outputs are stored."""
import os
import h5py
import torch
import torch.nn.functional as F

out = {}
a = torch.arange(24, dtype=torch.float32).reshape(2, 3, 4)
b = torch.arange(100, 100 + 2 * 2 * 4, dtype=torch.float32).reshape(2, 2, 4)
out["cat_dim1"] = torch.cat([a, b], 1)
out["cat_neg"] = torch.cat([a, a.transpose(1, 2).transpose(1, 2)[:, :, 1:3]], -1)
out["stack_dim2"] = torch.stack([a, a + 1], 2)
out["stack_neg"] = torch.stack([a, a * 2, a * 3], -1)
x = torch.arange(2 * 3 * 4 * 5, dtype=torch.float32).reshape(2, 3, 4, 5)
out["pad_const"] = F.pad(x, (1, 2, 0, 3), value=-1.5)
out["pad_crop"] = F.pad(x, (-1, 2, 1, -2))
out["pad_reflect"] = F.pad(x, (2, 3, 1, 3), mode="reflect")
out["pad_replicate"] = F.pad(x, (2, 3, 1, 0), mode="replicate")
out["pad_reflect_t"] = F.pad(x.transpose(2, 3), (1, 1, 2, 0), mode="reflect")
s = torch.arange(2 * 64 * 3 * 2, dtype=torch.float32).reshape(2, 64, 3, 2)
out["pixel_shuffle8"] = F.pixel_shuffle(s, 8)
out["pixel_shuffle2"] = F.pixel_shuffle(s, 2)
u = torch.arange(2 * 3 * 4 * 6, dtype=torch.float32).reshape(2, 3, 4, 6)
out["pixel_unshuffle2"] = F.pixel_unshuffle(u, 2)

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "movement.h5")
with h5py.File(path, "w") as f:
    for k, v in out.items():
        f.create_dataset(k, data=v.numpy())

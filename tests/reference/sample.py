"""PyTorch reference for tensor/ops/sample: writes fixtures/sample.h5.
Run with /usr/bin/python3. Inputs, upstream gradients and outputs are all stored."""
import os
import h5py
import torch
import torch.nn.functional as F

g = torch.Generator().manual_seed(0)
out = {}
x = torch.randn(2, 3, 5, 7, generator=g)
out["x"] = x
# Grid points inside, outside, exactly on the borders and on pixel centres.
grid = torch.rand(2, 4, 6, 2, generator=g) * 2.6 - 1.3
grid[0, 0, :, 0] = torch.tensor([-1.0, 1.0, -1.0, 1.0, 0.0, -1.0 + 2.0 / 6])
grid[0, 0, :, 1] = torch.tensor([-1.0, -1.0, 1.0, 1.0, 0.0, 0.5])
grid[1, 0, 0] = torch.tensor([1.2, -1.1])
out["grid"] = grid
for ac in (True, False):
    tag = "ac" if ac else "nac"
    xi = x.clone().requires_grad_(True)
    gi = grid.clone().requires_grad_(True)
    y = F.grid_sample(xi, gi, mode="bilinear", padding_mode="zeros", align_corners=ac)
    gout = torch.randn(y.shape, generator=g)
    y.backward(gout)
    out[f"gs_{tag}"] = y.detach()
    out[f"gs_{tag}_gout"] = gout
    out[f"gs_{tag}_dinput"] = xi.grad
    out[f"gs_{tag}_dgrid"] = gi.grad
# Non-contiguous input (transposed H and W).
out["gs_t"] = F.grid_sample(x.transpose(2, 3), grid, align_corners=False)

sizes = {"up2": (10, 14), "down": (3, 4), "odd": (8, 11), "one": (1, 1)}
for name, size in sizes.items():
    out[f"nearest_{name}"] = F.interpolate(x, size=size, mode="nearest")
    for ac in (True, False):
        tag = f"bilinear_{name}_{'ac' if ac else 'nac'}"
        xi = x.clone().requires_grad_(True)
        y = F.interpolate(xi, size=size, mode="bilinear", align_corners=ac)
        gout = torch.randn(y.shape, generator=g)
        y.backward(gout)
        out[tag] = y.detach()
        out[tag + "_gout"] = gout
        out[tag + "_dinput"] = xi.grad
# Scale factors (recompute_scale_factor=None: the coordinates use 1 / scale).
out["nearest_scale"] = F.interpolate(x, scale_factor=(1.7, 0.6), mode="nearest")
out["bilinear_scale"] = F.interpolate(x, scale_factor=(1.7, 0.6), mode="bilinear", align_corners=False)
out["bilinear_t"] = F.interpolate(x.transpose(2, 3), size=(9, 4), mode="bilinear", align_corners=False)

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "sample.h5")
with h5py.File(path, "w") as f:
    for k, v in out.items():
        f.create_dataset(k, data=v.numpy())

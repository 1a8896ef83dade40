"""PyTorch reference for tests/tensor/activation_test.cpp -> fixtures/activation.h5.

sin, cos, log1p, expm1, softplus (default and beta 2 / threshold 5), logsigmoid, gelu
(exact and tanh) and prelu: outputs and input gradients (and prelu's weight gradient) in
f64, on values that include large magnitudes, plus f32 outputs of the same inputs.
"""
import os

import h5py
import torch
import torch.nn.functional as F

torch.manual_seed(0)
out = {}
x = torch.cat([torch.randn(40, dtype=torch.float64) * 3,
               torch.tensor([0.0, -0.0, 1e-8, -1e-8, 25.0, -25.0, 60.0, -60.0, 800.0, -800.0],
                            dtype=torch.float64)])
g = torch.randn_like(x)
out["x"], out["g"] = x, g
OPS = {
    "sin": torch.sin,
    "cos": torch.cos,
    "expm1": torch.expm1,
    "softplus": F.softplus,
    "softplus_b2_t5": lambda v: F.softplus(v, beta=2.0, threshold=5.0),
    "log_sigmoid": F.logsigmoid,
    "gelu": F.gelu,
    "gelu_tanh": lambda v: F.gelu(v, approximate="tanh"),
}
for name, fn in OPS.items():
    v = x.clone().requires_grad_()
    y = fn(v)
    y.backward(g)
    out[name], out[name + "_grad"] = y.detach(), v.grad
    out[name + "_f32"] = fn(x.float())
# log1p needs x > -1
xp = x.abs() * 0.3 - 0.9
v = xp.clone().requires_grad_()
y = torch.log1p(v)
y.backward(g)
out["xp"], out["log1p"], out["log1p_grad"] = xp, y.detach(), v.grad
out["log1p_f32"] = torch.log1p(xp.float())

# prelu: per-channel [N, C, H, W], shared weight, and a 1-D input
for name, shape, wshape in [("prelu4d", (2, 3, 4, 5), (3,)), ("prelu_shared", (2, 3, 4), (1,)),
                            ("prelu1d", (7,), (1,)), ("prelu2d", (5, 4), (4,))]:
    xv = torch.randn(*shape, dtype=torch.float64).requires_grad_()
    wv = (torch.rand(*wshape, dtype=torch.float64) * 0.5).requires_grad_()
    y = F.prelu(xv, wv)
    gy = torch.randn_like(y)
    y.backward(gy)
    for k, t in {"x": xv, "w": wv, "y": y, "gy": gy, "gx": xv.grad, "gw": wv.grad}.items():
        out[f"{name}/{k}"] = t.detach()

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "activation.h5")
with h5py.File(path, "w") as f:
    for k, v in out.items():
        f.create_dataset(k, data=v.numpy())
print("wrote", path, len(out), "datasets")

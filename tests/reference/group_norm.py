"""PyTorch reference for tests/tensor/group_norm_test.cpp -> fixtures/group_norm.h5.

layer_norm, group_norm and instance_norm (with and without affine parameters): outputs
and the gradients of x, weight and bias in f64; InstanceNorm2d with tracked running
statistics (one training step, then eval).
"""
import os

import h5py
import torch
import torch.nn.functional as F

torch.manual_seed(0)
out = {}


def record(name, fn, x, w, b):
    x = x.clone().requires_grad_()
    w = None if w is None else w.clone().requires_grad_()
    b = None if b is None else b.clone().requires_grad_()
    y = fn(x, w, b)
    g = torch.randn_like(y)
    y.backward(g)
    out[f"{name}/x"], out[f"{name}/y"], out[f"{name}/g"], out[f"{name}/gx"] = x.detach(), y.detach(), g, x.grad
    if w is not None:
        out[f"{name}/w"], out[f"{name}/gw"] = w.detach(), w.grad
    if b is not None:
        out[f"{name}/b"], out[f"{name}/gb"] = b.detach(), b.grad


def rnd(*shape, scale=1.0, shift=0.0):
    return torch.randn(*shape, dtype=torch.float64) * scale + shift


# layer norm: LightGlue's [B, N, 2d] FFN norm, a 2-D normalized shape, no affine, one element
record("ln", lambda x, w, b: F.layer_norm(x, (16,), w, b), rnd(2, 5, 16, scale=3, shift=1), rnd(16), rnd(16))
record("ln2d", lambda x, w, b: F.layer_norm(x, (3, 4), w, b), rnd(2, 3, 4, scale=2), rnd(3, 4), rnd(3, 4))
record("ln_plain", lambda x, w, b: F.layer_norm(x, (7,), None, None), rnd(4, 7), None, None)
record("ln_one", lambda x, w, b: F.layer_norm(x, (1,), w, b), rnd(3, 1), rnd(1), rnd(1))
# group norm and instance norm
record("gn", lambda x, w, b: F.group_norm(x, 2, w, b), rnd(2, 6, 3, 5, scale=2, shift=-1), rnd(6), rnd(6))
record("gn_plain", lambda x, w, b: F.group_norm(x, 3, None, None), rnd(3, 6, 7), None, None)
record("in", lambda x, w, b: F.instance_norm(x, weight=w, bias=b), rnd(2, 4, 5, 6, scale=4), rnd(4), rnd(4))
record("in_plain", lambda x, w, b: F.instance_norm(x), rnd(3, 5, 4, 4), None, None)

# InstanceNorm2d with running statistics: a training step, then eval.
m = torch.nn.InstanceNorm2d(3, affine=True, track_running_stats=True).double()
with torch.no_grad():
    m.weight.copy_(rnd(3)), m.bias.copy_(rnd(3))
x = rnd(2, 3, 4, 5, scale=2, shift=0.5)
out["in_track/weight"], out["in_track/bias"], out["in_track/x"] = m.weight.detach().clone(), m.bias.detach().clone(), x
out["in_track/y_train"] = m(x).detach()
out["in_track/running_mean"], out["in_track/running_var"] = m.running_mean.clone(), m.running_var.clone()
m.eval()
out["in_track/y_eval"] = m(x).detach()

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "group_norm.h5")
with h5py.File(path, "w") as f:
    for k, v in out.items():
        f.create_dataset(k, data=v.numpy())
print("wrote", path, len(out), "datasets")

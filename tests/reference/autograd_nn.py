"""PyTorch reference for tests/autograd/nn_functions_test.cpp -> fixtures/autograd_nn.h5:
erf, exact gelu (values and gradient), normalize, and batch_norm's training forward,
gradients and running-buffer updates over two steps.
Run: /usr/bin/python3 -P tests/reference/autograd_nn.py (-P: tests/reference/random.py
would shadow the standard library module)."""
import os

import h5py
import torch
import torch.nn.functional as F

torch.manual_seed(0)
out = {}
e = torch.tensor([[-float("inf"), -5.0, -1.5, -0.3, 0.0, 1e-4, 0.7, 2.0, 6.0, float("inf"), float("nan")]])
out["erf_x"] = e
out["erf"] = torch.erf(e)

g = torch.linspace(-6, 6, 25, dtype=torch.float64).reshape(5, 5).requires_grad_()
y = F.gelu(g)
y.backward(torch.ones_like(y))
out["gelu_x"] = g.detach()
out["gelu"] = y.detach()
out["gelu_grad"] = g.grad

n = torch.randn(3, 4, 2)
n[1, :, 0] = 0.0  # a zero vector along dim 1: divided by eps
out["norm_x"] = n
out["normalize_2_1"] = F.normalize(n, 2.0, 1)
out["normalize_1_0"] = F.normalize(n, 1.0, 0)
out["normalize_3_last"] = F.normalize(n, 3.0, -1, 1e-3)

x = torch.randn(4, 3, 5, 2, dtype=torch.float64, requires_grad=True)
w = torch.randn(3, dtype=torch.float64, requires_grad=True)
b = torch.randn(3, dtype=torch.float64, requires_grad=True)
rm = torch.randn(3, dtype=torch.float64)
rv = torch.rand(3, dtype=torch.float64) + 0.5
out["bn_x"], out["bn_w"], out["bn_b"] = x.detach(), w.detach(), b.detach()
out["bn_rm0"], out["bn_rv0"] = rm.clone(), rv.clone()
y = F.batch_norm(x, rm, rv, w, b, training=True, momentum=0.2, eps=1e-3)
gy = torch.randn_like(y)
y.backward(gy)
F.batch_norm(x.detach() * 2 + 1, rm, rv, w.detach(), b.detach(), training=True, momentum=0.2, eps=1e-3)
out["bn_y"], out["bn_gy"] = y.detach(), gy
out["bn_gx"], out["bn_gw"], out["bn_gb"] = x.grad, w.grad, b.grad
out["bn_rm2"], out["bn_rv2"] = rm, rv  # after both steps
out["bn_eval"] = F.batch_norm(x.detach(), rm, rv, w.detach(), b.detach(), training=False, eps=1e-3)

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "autograd_nn.h5")
with h5py.File(path, "w") as f:
    for k, v in out.items():
        f.create_dataset(k, data=v.numpy())

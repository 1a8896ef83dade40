"""PyTorch reference for tests/tensor/elementwise_test.cpp -> fixtures/elementwise.h5."""
import os

import h5py
import torch

torch.manual_seed(0)
out = {}

a = torch.randn(2, 3, 4)
a[0, 1, 2] = float("nan")
b = torch.randn(3, 1)
b[2, 0] = float("nan")
out["a"], out["b"] = a, b
pa = a.abs() + 0.1
out["add"] = a + b
out["add_alpha"] = torch.add(a, b, alpha=2.5)
out["sub"] = a - b
out["mul"] = a * b
out["div"] = a / b
out["pow"] = torch.pow(pa, b)
out["pow_scalar"] = torch.pow(pa, 1.7)
out["rpow_scalar"] = torch.pow(2.0, a)
out["maximum"] = torch.maximum(a, b)
out["minimum"] = torch.minimum(a, b)
out["atan2"] = torch.atan2(a, b)
out["rsub_scalar"] = 3.0 - a
out["rdiv_scalar"] = 1.5 / pa
for name in ["eq", "ne", "lt", "le", "gt", "ge"]:
    out[name] = getattr(torch, name)(a, b)
out["gt_scalar"] = a > 0.25
# transposed and sliced views
c = torch.randn(4, 3, 2)
out["c"] = c
out["add_transposed"] = a.transpose(0, 2) + c              # [4, 3, 2]
out["mul_sliced"] = a[:, ::2, 1:] * c.transpose(0, 2)[:, ::2, 1:]      # [2, 2, 3]
# ints and bools
ai = torch.randint(-5, 6, (2, 3, 4))
bi = torch.randint(1, 4, (4,), dtype=torch.int32)
out["ai"], out["bi"] = ai, bi
out["add_int"] = ai + bi                       # i64
out["div_int"] = ai / bi                       # f32
out["mul_int_half"] = ai * 0.5                 # f32
out["add_int_f32"] = ai + b                    # f32
out["pow_int"] = torch.pow(ai, 3)
out["pow_int_tensor"] = torch.pow(ai, bi)
out["add_bool_int"] = (ai > 0) + 1             # i64
out["maximum_int"] = torch.maximum(ai, bi)
m = ai > 0
n = ai < 3
out["logical_and"] = torch.logical_and(m, n)
out["logical_or"] = torch.logical_or(ai, b.squeeze(1)[:1])
out["logical_xor"] = torch.logical_xor(m, n)
out["logical_not"] = torch.logical_not(ai)
out["where"] = torch.where(a > 0, a, b)
out["where_scalar"] = torch.where(a > 0, a, torch.tensor(-1.0))
out["where_int_float"] = torch.where(m, ai, c[0, :, :1])  # [2, 3, 4] f32
# 0-dim promotion
out["i32_plus_f64_0d"] = bi + torch.tensor(1.5, dtype=torch.float64)
out["f32_plus_f64_0d"] = a + torch.tensor(1.5, dtype=torch.float64)

# unary
x = torch.tensor([[float("nan"), -0.0, 0.0, 2.5, -1.5, 0.5, float("inf")],
                  [-float("inf"), 3.7, -2.2, 1e-3, -1e-3, 100.0, -100.0]])
out["x"] = x
px = torch.tensor([[0.5, 1.0, 2.0, 1e-4, 7.5, 100.0, 3.0]])
out["px"] = px
for name in ["neg", "abs", "exp", "sigmoid", "tanh", "relu", "sign", "square", "floor", "ceil", "round",
             "isnan", "isfinite", "reciprocal"]:
    out["u_" + name] = getattr(torch, name)(x)
for name in ["log", "sqrt", "rsqrt"]:
    out["u_" + name] = getattr(torch, name)(px)
out["u_leaky_relu"] = torch.nn.functional.leaky_relu(x, 0.2)
out["u_clamp"] = torch.clamp(x, -1.0, 2.0)
out["u_clamp_min"] = torch.clamp(x, min=0.1)
out["u_clamp_max"] = torch.clamp(x, max=0.1)
out["u_clamp_int"] = torch.clamp(ai, -2, 3)
out["u_clamp_int_float"] = torch.clamp(ai, min=0.5)
out["u_abs_int"] = torch.abs(ai)
out["u_sign_int"] = torch.sign(ai)
out["u_exp_int"] = torch.exp(ai)
out["u_neg_t"] = torch.neg(a.transpose(1, 2))
# f16 / bf16 stay in their type, compute in f32
h = torch.randn(3, 5).half()
out["h"] = h
out["h_plus_2"] = h + 2.0
out["h_exp"] = torch.exp(h.float()).half()  # CPU torch 1.13 has no f16 exp: same f32 compute
out["h_mul_f32"] = h * b                    # f32
bf = torch.randn(3, 5).bfloat16()
out["bf_sigmoid"] = torch.sigmoid(bf.float()).bfloat16().float()
out["bf"] = bf.float()
# in place
s = a.clone()
s.add_(b, alpha=-0.5)
out["add_inplace"] = s
s = a.clone()
s.mul_(b)
out["mul_inplace"] = s
s = h.clone()
s.add_(b.half(), alpha=0.25)
out["h_add_inplace"] = s

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "elementwise.h5")
with h5py.File(path, "w") as f:
    for k, v in out.items():
        if v.dtype == torch.bfloat16:
            v = v.float()
        f.create_dataset(k, data=v.numpy())
print("wrote", path, len(out), "datasets")

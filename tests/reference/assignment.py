"""PyTorch reference for tests/autograd/assignment_test.cpp -> fixtures/assignment.h5.

SuperGlue's log-space optimal transport with a dustbin (written out as the paper's
log_sinkhorn_iterations: u, v updated in turn, then Z + u + v + log(M + N)), LightGlue's
sigmoid log double softmax, and apply_rotary (t * cos + rotate_half(t) * sin with pairs),
with the gradients of every input, in f64.
"""
import math
import os

import h5py
import torch
import torch.nn.functional as F

torch.manual_seed(0)
out = {}


def log_sinkhorn(Z, log_mu, log_nu, iters):
    u, v = torch.zeros_like(log_mu), torch.zeros_like(log_nu)
    for _ in range(iters):
        u = log_mu - torch.logsumexp(Z + v.unsqueeze(1), dim=2)
        v = log_nu - torch.logsumexp(Z + u.unsqueeze(2), dim=1)
    return Z + u.unsqueeze(2) + v.unsqueeze(1)


def log_optimal_transport(scores, alpha, iters):
    b, m, n = scores.shape
    bins0, bins1, a = alpha.expand(b, m, 1), alpha.expand(b, 1, n), alpha.expand(b, 1, 1)
    couplings = torch.cat([torch.cat([scores, bins0], -1), torch.cat([bins1, a], -1)], 1)
    norm = -math.log(m + n)
    log_mu = torch.cat([torch.full((m,), norm, dtype=scores.dtype), torch.tensor([math.log(n) + norm], dtype=scores.dtype)])
    log_nu = torch.cat([torch.full((n,), norm, dtype=scores.dtype), torch.tensor([math.log(m) + norm], dtype=scores.dtype)])
    Z = log_sinkhorn(couplings, log_mu.expand(b, -1), log_nu.expand(b, -1), iters)
    return Z - norm


for name, (b, m, n, iters) in {"ot": (2, 5, 7, 20), "ot_square": (1, 6, 6, 100), "ot_one": (1, 1, 3, 5)}.items():
    scores = (torch.randn(b, m, n, dtype=torch.float64) * 2).requires_grad_()
    alpha = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
    y = log_optimal_transport(scores, alpha, iters)
    g = torch.randn_like(y)
    y.backward(g)
    for k, t in {"scores": scores, "alpha": alpha.reshape(1), "y": y, "g": g, "gscores": scores.grad,
                 "galpha": alpha.grad.reshape(1)}.items():
        out[f"{name}/{k}"] = t.detach()
    out[f"{name}/iters"] = torch.tensor([iters])

# LightGlue's assignment
sim = torch.randn(2, 4, 6, dtype=torch.float64, requires_grad=True)
z0 = torch.randn(2, 4, 1, dtype=torch.float64, requires_grad=True)
z1 = torch.randn(2, 6, 1, dtype=torch.float64, requires_grad=True)
b, m, n = sim.shape
certainties = F.logsigmoid(z0) + F.logsigmoid(z1).transpose(1, 2)
scores0 = F.log_softmax(sim, 2)
scores1 = F.log_softmax(sim.transpose(-1, -2).contiguous(), 2).transpose(-1, -2)
scores = sim.new_full((b, m + 1, n + 1), 0)
scores[:, :m, :n] = scores0 + scores1 + certainties
scores[:, :-1, -1] = F.logsigmoid(-z0.squeeze(-1))
scores[:, -1, :-1] = F.logsigmoid(-z1.squeeze(-1))
g = torch.randn_like(scores)
scores.backward(g)
for k, t in {"sim": sim, "z0": z0, "z1": z1, "y": scores, "g": g, "gsim": sim.grad, "gz0": z0.grad,
             "gz1": z1.grad}.items():
    out[f"lg/{k}"] = t.detach()

# rotary: x [B, H, N, D], cos/sin [B, 1, N, D] with pairwise-repeated frequencies
x = torch.randn(2, 3, 5, 8, dtype=torch.float64, requires_grad=True)
theta = torch.randn(2, 1, 5, 4, dtype=torch.float64)
c = theta.cos().repeat_interleave(2, dim=-1).requires_grad_()
s = theta.sin().repeat_interleave(2, dim=-1).requires_grad_()


def rotate_half(t):  # pairs (a, b) -> (-b, a), per the spec (matchers.md 3.1)
    even, odd = t[..., 0::2], t[..., 1::2]
    return torch.stack([-odd, even], dim=-1).reshape(t.shape)


y = x * c + rotate_half(x) * s
g = torch.randn_like(y)
y.backward(g)
for k, t in {"x": x, "cos": c, "sin": s, "y": y, "g": g, "gx": x.grad, "gcos": c.grad, "gsin": s.grad}.items():
    out[f"rotary/{k}"] = t.detach()

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "assignment.h5")
with h5py.File(path, "w") as f:
    for k, v in out.items():
        f.create_dataset(k, data=v.numpy())
print("wrote", path, len(out), "datasets")

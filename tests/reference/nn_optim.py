"""Golden trajectories of torch.optim (SGD, Adam, AdamW) and LR schedules for
tests/nn/optim_test.cpp. The model is a linear layer y = x W^T + b with the loss
mean((y - target)^2), whose gradient the C++ test computes with plain loops. Run with
/usr/bin/python3; writes fixtures/nn_optim.h5."""
import math
import os

import h5py
import torch

torch.manual_seed(0)
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "nn_optim.h5")
STEPS = 10

x = torch.randn(5, 4, dtype=torch.float64)
target = torch.randn(5, 3, dtype=torch.float64)
w0 = torch.randn(3, 4, dtype=torch.float64)
b0 = torch.randn(3, dtype=torch.float64)

CASES = {
    "sgd_plain": (torch.optim.SGD, dict(lr=0.1)),
    "sgd_momentum": (torch.optim.SGD, dict(lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01)),
    "sgd_nesterov": (torch.optim.SGD, dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.02)),
    "adam": (torch.optim.Adam, dict(lr=0.05, betas=(0.9, 0.99), eps=1e-6)),
    "adam_wd_amsgrad": (torch.optim.Adam, dict(lr=0.05, weight_decay=0.1, amsgrad=True)),
    "adamw": (torch.optim.AdamW, dict(lr=0.05, betas=(0.8, 0.95), weight_decay=0.3)),
    "adamw_amsgrad": (torch.optim.AdamW, dict(lr=0.02, weight_decay=0.05, amsgrad=True)),
}

with h5py.File(out, "w") as f:
    f["x"], f["target"], f["w0"], f["b0"] = x.numpy(), target.numpy(), w0.numpy(), b0.numpy()
    for name, (cls, kw) in CASES.items():
        for dtype, tag in ((torch.float64, "f64"), (torch.float32, "f32")):
            w = w0.clone().to(dtype).requires_grad_()
            b = b0.clone().to(dtype).requires_grad_()
            opt = cls([w, b], foreach=False, **kw)
            losses = []
            for _ in range(STEPS):
                opt.zero_grad()
                loss = ((x.to(dtype) @ w.t() + b - target.to(dtype)) ** 2).mean()
                loss.backward()
                opt.step()
                losses.append(loss.item())
            g = f"{name}/{tag}"
            f[g + "/w"], f[g + "/b"] = w.detach().numpy(), b.detach().numpy()
            f[g + "/losses"] = torch.tensor(losses, dtype=torch.float64).numpy()

    # Closed-form LR schedules, base lr 0.1, epochs 0..29.
    def lrs(make):
        p = torch.zeros(1, requires_grad=True)
        opt = torch.optim.SGD([p], lr=0.1)
        sched = make(opt)
        values = []
        for _ in range(30):
            values.append(opt.param_groups[0]["lr"])
            opt.step()
            sched.step()
        return torch.tensor(values, dtype=torch.float64).numpy()

    S = torch.optim.lr_scheduler
    f["lr/step"] = lrs(lambda o: S.StepLR(o, step_size=7, gamma=0.5))
    f["lr/multistep"] = lrs(lambda o: S.MultiStepLR(o, milestones=[3, 10, 11], gamma=0.3))
    f["lr/exponential"] = lrs(lambda o: S.ExponentialLR(o, gamma=0.9))
    f["lr/cosine"] = lrs(lambda o: S.CosineAnnealingLR(o, T_max=30, eta_min=0.001))
    f["lr/linear"] = lrs(lambda o: S.LinearLR(o, start_factor=0.1, end_factor=1.0, total_iters=5))

    # clip_grad_norm_ over two gradients, L2 and inf norms.
    g1 = torch.randn(3, 4, dtype=torch.float64)
    g2 = torch.randn(5, dtype=torch.float64)
    f["clip/g1"], f["clip/g2"] = g1.numpy(), g2.numpy()
    for norm_type, tag in ((2.0, "l2"), (math.inf, "inf")):
        p1 = torch.zeros(3, 4, dtype=torch.float64, requires_grad=True)
        p2 = torch.zeros(5, dtype=torch.float64, requires_grad=True)
        p1.grad, p2.grad = g1.clone(), g2.clone()
        total = torch.nn.utils.clip_grad_norm_([p1, p2], max_norm=1.5, norm_type=norm_type)
        f[f"clip/{tag}/total"] = total.numpy()
        f[f"clip/{tag}/g1"], f[f"clip/{tag}/g2"] = p1.grad.numpy(), p2.grad.numpy()

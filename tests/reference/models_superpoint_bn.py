"""Golden outputs of the batch-norm SuperPoint ([PS] SuperPointNet_gauss2 layout and names)
for models/superpoint.cpp, in f64, in training mode (batch statistics, running stats updated) and
eval mode (running statistics). Weights are not stored; both sides fill them by name:
parameter j (named_parameters order) element i gets, with a = 0.37 * i + 1.3 * j,
  conv weight 0.5 * sin(a) / sqrt(fan_in), conv bias the same with the weight's fan_in,
  BN weight 1 + 0.2 * sin(a), BN bias 0.1 * sin(a);
buffer k among the running_* buffers (named_buffers order) element i, b = 0.5 * i + k:
  running_mean 0.1 * sin(b), running_var 1 + 0.5 * sin(b)^2.
Run: /usr/bin/python3 tests/reference/models_superpoint_bn.py"""
import math
import os

import h5py
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class double_conv(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(),
            nn.Conv2d(cout, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU())

    def forward(self, x):
        return self.conv(x)


class inconv(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv = double_conv(cin, cout)

    def forward(self, x):
        return self.conv(x)


class down(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.mpconv = nn.Sequential(nn.MaxPool2d(2), double_conv(cin, cout))

    def forward(self, x):
        return self.mpconv(x)


class SuperPointNet_gauss2(nn.Module):
    """[PS] models/SuperPointNet_gauss2.py (without its unused parts)."""

    def __init__(self):
        super().__init__()
        c1, c2, c3, c4, c5, d1 = 64, 64, 128, 128, 256, 256
        self.inc = inconv(1, c1)
        self.down1 = down(c1, c2)
        self.down2 = down(c2, c3)
        self.down3 = down(c3, c4)
        self.convPa = nn.Conv2d(c4, c5, 3, 1, 1)
        self.bnPa = nn.BatchNorm2d(c5)
        self.convPb = nn.Conv2d(c5, 65, 1, 1, 0)
        self.bnPb = nn.BatchNorm2d(65)
        self.convDa = nn.Conv2d(c4, c5, 3, 1, 1)
        self.bnDa = nn.BatchNorm2d(c5)
        self.convDb = nn.Conv2d(c5, d1, 1, 1, 0)
        self.bnDb = nn.BatchNorm2d(d1)

    def forward(self, x):
        x = self.down3(self.down2(self.down1(self.inc(x))))
        semi = self.bnPb(self.convPb(F.relu(self.bnPa(self.convPa(x)))))
        desc = self.bnDb(self.convDb(F.relu(self.bnDa(self.convDa(x)))))
        desc = desc / torch.norm(desc, p=2, dim=1, keepdim=True)
        return semi, desc


def fill_deterministic(net):
    params = dict(net.named_parameters())
    for j, (name, p) in enumerate(net.named_parameters()):
        a = 0.37 * np.arange(p.numel(), dtype=np.float64) + 1.3 * j
        weight = params[name.rsplit(".", 1)[0] + ".weight"]
        if weight.dim() == 4:
            v = 0.5 * np.sin(a) / math.sqrt(weight[0].numel())
        elif name.endswith("weight"):
            v = 1 + 0.2 * np.sin(a)
        else:
            v = 0.1 * np.sin(a)
        p.copy_(torch.from_numpy(v.astype(np.float32)).view_as(p))
    k = 0
    for name, buf in net.named_buffers():
        if name.endswith("running_mean") or name.endswith("running_var"):
            b = 0.5 * np.arange(buf.numel(), dtype=np.float64) + k
            v = 0.1 * np.sin(b) if name.endswith("running_mean") else 1 + 0.5 * np.sin(b) ** 2
            buf.copy_(torch.from_numpy(v.astype(np.float32)))
            k += 1


torch.manual_seed(0)
image = torch.rand(2, 1, 24, 32)
net = SuperPointNet_gauss2()
with torch.no_grad():
    fill_deterministic(net)
    # Train-mode BN on 3x4 cells is ill-conditioned (some channels have batch variances
    # near eps), so f32 results differ between implementations by ~1e-2: compare in f64.
    net = net.double()
    image = image.double()
    net.eval()
    semi_eval, desc_eval = net(image)
    net.train()
    semi_train, desc_train = net(image)
out = os.path.join(os.path.dirname(__file__), "fixtures", "models_superpoint_bn.h5")
with h5py.File(out, "w") as f:
    f["image"] = image.numpy()
    f["semi_eval"] = semi_eval.numpy()
    f["desc_eval"] = desc_eval.numpy()
    f["semi_train"] = semi_train.numpy()
    f["desc_train"] = desc_train.numpy()
    f["bnPb_running_mean"] = net.bnPb.running_mean.numpy()
    f["bnPb_running_var"] = net.bnPb.running_var.numpy()
    f["inc_bn0_running_var"] = net.inc.conv.conv[1].running_var.numpy()
    f["num_params"] = np.array(len(list(net.named_parameters())), dtype=np.int64)
print("wrote", out)

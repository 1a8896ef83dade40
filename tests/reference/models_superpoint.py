"""Golden outputs of SuperPoint (the official [ML] SuperPointNet, no batch-norm) for
models/superpoint.cpp. The 1.3M weights are not stored: both sides fill parameter j
(in state_dict order) element i with 0.5 * sin(0.37 * i + 1.3 * j) / sqrt(fan_in),
computed in double and rounded to f32. Run: /usr/bin/python3 tests/reference/models_superpoint.py"""
import math
import os

import h5py
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class SuperPointNet(nn.Module):
    """[ML] demo_superpoint.py's network, layer names as in superpoint_v1.pth."""

    def __init__(self):
        super().__init__()
        c1, c2, c3, c4, c5, d1 = 64, 64, 128, 128, 256, 256
        self.conv1a = nn.Conv2d(1, c1, 3, 1, 1)
        self.conv1b = nn.Conv2d(c1, c1, 3, 1, 1)
        self.conv2a = nn.Conv2d(c1, c2, 3, 1, 1)
        self.conv2b = nn.Conv2d(c2, c2, 3, 1, 1)
        self.conv3a = nn.Conv2d(c2, c3, 3, 1, 1)
        self.conv3b = nn.Conv2d(c3, c3, 3, 1, 1)
        self.conv4a = nn.Conv2d(c3, c4, 3, 1, 1)
        self.conv4b = nn.Conv2d(c4, c4, 3, 1, 1)
        self.convPa = nn.Conv2d(c4, c5, 3, 1, 1)
        self.convPb = nn.Conv2d(c5, 65, 1, 1, 0)
        self.convDa = nn.Conv2d(c4, c5, 3, 1, 1)
        self.convDb = nn.Conv2d(c5, d1, 1, 1, 0)

    def forward(self, x):
        pool = lambda t: F.max_pool2d(t, 2, 2)
        x = F.relu(self.conv1a(x))
        x = pool(F.relu(self.conv1b(x)))
        x = F.relu(self.conv2a(x))
        x = pool(F.relu(self.conv2b(x)))
        x = F.relu(self.conv3a(x))
        x = pool(F.relu(self.conv3b(x)))
        x = F.relu(self.conv4a(x))
        x = F.relu(self.conv4b(x))
        semi = self.convPb(F.relu(self.convPa(x)))
        desc = self.convDb(F.relu(self.convDa(x)))
        desc = desc / torch.norm(desc, p=2, dim=1, keepdim=True)
        return semi, desc


def fill_deterministic(net):
    for j, (name, p) in enumerate(net.state_dict().items()):
        fan_in = p[0].numel() if p.dim() > 1 else net.state_dict()[name.replace("bias", "weight")][0].numel()
        i = np.arange(p.numel(), dtype=np.float64)
        v = 0.5 * np.sin(0.37 * i + 1.3 * j) / math.sqrt(fan_in)
        p.copy_(torch.from_numpy(v.astype(np.float32)).view_as(p))


torch.manual_seed(0)
net = SuperPointNet().eval()
with torch.no_grad():
    fill_deterministic(net)
    image = torch.rand(2, 1, 24, 32)
    semi, desc = net(image)
out = os.path.join(os.path.dirname(__file__), "fixtures", "models_superpoint.h5")
with h5py.File(out, "w") as f:
    f["image"] = image.numpy()
    f["semi"] = semi.numpy()
    f["desc"] = desc.numpy()
print("wrote", out, "semi", tuple(semi.shape), "desc", tuple(desc.shape))

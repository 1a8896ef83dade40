"""Small SuperPoint weight files in the formats sp must load by name (superpoint.md 4.5):
  models_superpoint_tiny.pth: a plain [ML] SuperPointNet state_dict (widths x 1/8:
    64/128/256 -> 8/16/32, descriptor dim 16) in the legacy torch.save format of
    superpoint_v1.pth (_use_new_zipfile_serialization=False);
  models_superpoint_tiny_bn.pth.tar: a [PS] training checkpoint dict {n_iter,
    model_state_dict, optimizer_state_dict, loss} of SuperPointNet_gauss2 (same widths);
  models_superpoint_tiny.h5: an input and both networks' outputs (BN in eval mode).
Run: /usr/bin/python3 -P tests/reference/models_superpoint_pth.py"""
import os

import h5py
import torch
import torch.nn as nn
import torch.nn.functional as F

C1, C3, C5, D = 8, 16, 32, 16


class SuperPointNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1a = nn.Conv2d(1, C1, 3, 1, 1)
        self.conv1b = nn.Conv2d(C1, C1, 3, 1, 1)
        self.conv2a = nn.Conv2d(C1, C1, 3, 1, 1)
        self.conv2b = nn.Conv2d(C1, C1, 3, 1, 1)
        self.conv3a = nn.Conv2d(C1, C3, 3, 1, 1)
        self.conv3b = nn.Conv2d(C3, C3, 3, 1, 1)
        self.conv4a = nn.Conv2d(C3, C3, 3, 1, 1)
        self.conv4b = nn.Conv2d(C3, C3, 3, 1, 1)
        self.convPa = nn.Conv2d(C3, C5, 3, 1, 1)
        self.convPb = nn.Conv2d(C5, 65, 1, 1, 0)
        self.convDa = nn.Conv2d(C3, C5, 3, 1, 1)
        self.convDb = nn.Conv2d(C5, D, 1, 1, 0)

    def forward(self, x):
        pool = lambda t: F.max_pool2d(t, 2, 2)
        x = pool(F.relu(self.conv1b(F.relu(self.conv1a(x)))))
        x = pool(F.relu(self.conv2b(F.relu(self.conv2a(x)))))
        x = pool(F.relu(self.conv3b(F.relu(self.conv3a(x)))))
        x = F.relu(self.conv4b(F.relu(self.conv4a(x))))
        semi = self.convPb(F.relu(self.convPa(x)))
        desc = self.convDb(F.relu(self.convDa(x)))
        return semi, desc / torch.norm(desc, p=2, dim=1, keepdim=True)


def double_conv(cin, cout):
    m = nn.Module()
    m.conv = nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(),
                           nn.Conv2d(cout, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU())
    m.forward = lambda x: m.conv(x)
    return m


class Gauss2(nn.Module):
    def __init__(self):
        super().__init__()
        self.inc = nn.Module()
        self.inc.conv = double_conv(1, C1)
        self.down1, self.down2, self.down3 = nn.Module(), nn.Module(), nn.Module()
        self.down1.mpconv = nn.Sequential(nn.MaxPool2d(2), double_conv(C1, C1))
        self.down2.mpconv = nn.Sequential(nn.MaxPool2d(2), double_conv(C1, C3))
        self.down3.mpconv = nn.Sequential(nn.MaxPool2d(2), double_conv(C3, C3))
        self.convPa, self.bnPa = nn.Conv2d(C3, C5, 3, 1, 1), nn.BatchNorm2d(C5)
        self.convPb, self.bnPb = nn.Conv2d(C5, 65, 1), nn.BatchNorm2d(65)
        self.convDa, self.bnDa = nn.Conv2d(C3, C5, 3, 1, 1), nn.BatchNorm2d(C5)
        self.convDb, self.bnDb = nn.Conv2d(C5, D, 1), nn.BatchNorm2d(D)

    def forward(self, x):
        x = self.inc.conv.conv(x)
        for d in (self.down1, self.down2, self.down3):
            x = d.mpconv[1].conv(d.mpconv[0](x))
        semi = self.bnPb(self.convPb(F.relu(self.bnPa(self.convPa(x)))))
        desc = self.bnDb(self.convDb(F.relu(self.bnDa(self.convDa(x)))))
        return semi, desc / torch.norm(desc, p=2, dim=1, keepdim=True)


torch.manual_seed(5)
ml, ps = SuperPointNet().eval(), Gauss2()
# Non-trivial BN statistics and affine parameters, then eval mode.
with torch.no_grad():
    for m in ps.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.weight.uniform_(0.5, 1.5)
            m.bias.uniform_(-0.2, 0.2)
    for _ in range(3):
        ps(torch.rand(4, 1, 24, 32))
    ps.eval()
    image = torch.rand(2, 1, 24, 32)
    semi, desc = ml(image)
    semi_bn, desc_bn = ps(image)
here = os.path.join(os.path.dirname(__file__), "fixtures")
torch.save(ml.state_dict(), os.path.join(here, "models_superpoint_tiny.pth"), _use_new_zipfile_serialization=False)
torch.save({"n_iter": 4, "model_state_dict": ps.state_dict(), "optimizer_state_dict": {}, "loss": 1.5},
           os.path.join(here, "models_superpoint_tiny_bn.pth.tar"))
with h5py.File(os.path.join(here, "models_superpoint_tiny.h5"), "w") as f:
    f["image"] = image.numpy()
    f["semi"], f["desc"] = semi.numpy(), desc.numpy()
    f["semi_bn"], f["desc_bn"] = semi_bn.numpy(), desc_bn.numpy()
print("wrote", here, [k for k in ps.state_dict()][:8])

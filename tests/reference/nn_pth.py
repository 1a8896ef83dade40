"""Writes .pth fixtures (zip and legacy torch.save formats) of a small conv net with BN,
plus the expected tensors as HDF5, for tests/nn/pth_test.cpp. Run with /usr/bin/python3."""
import os

import h5py
import torch

torch.manual_seed(0)
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(3, 4, 3, padding=1)
        self.bn1 = torch.nn.BatchNorm2d(4)
        self.fc = torch.nn.Linear(4, 2)


net = Net()
net.train()
for _ in range(3):  # non-trivial running stats and num_batches_tracked = 3
    net.bn1(net.conv1(torch.randn(2, 3, 5, 5)))
sd = net.state_dict()

# Views sharing one storage: a transposed view, a slice with a storage offset, and
# tensors of other dtypes.
base = torch.arange(24, dtype=torch.float64).reshape(4, 6)
extra = {
    "base": base,
    "base_t": base.t(),
    "base_slice": base[1:3, 2:5],
    "ints": torch.tensor([1, -2, 3], dtype=torch.int32),
    "mask": torch.tensor([True, False, True]),
    "half": torch.tensor([0.5, -1.25], dtype=torch.float16),
    "scalar": torch.tensor(7.5),
}
nested = {"state_dict": sd, "extra": extra, "epoch": 4}

torch.save(sd, os.path.join(out, "nn_pth_zip.pth"))
torch.save(sd, os.path.join(out, "nn_pth_legacy.pth"), _use_new_zipfile_serialization=False)
torch.save(nested, os.path.join(out, "nn_pth_nested_zip.pth"))
torch.save(nested, os.path.join(out, "nn_pth_nested_legacy.pth"), _use_new_zipfile_serialization=False)

with h5py.File(os.path.join(out, "nn_pth.h5"), "w") as f:
    for k, v in sd.items():
        f.create_dataset("state_dict/" + k, data=v.numpy())
    for k, v in extra.items():
        f.create_dataset("extra/" + k, data=v.contiguous().numpy())

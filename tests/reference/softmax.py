"""PyTorch reference for tests/tensor/softmax_test.cpp -> fixtures/softmax.h5."""
import os

import h5py
import torch

torch.manual_seed(0)
out = {}
x = torch.randn(2, 65, 3, 4) * 5          # SuperPoint's detector head layout
out["x"] = x
out["softmax_1"] = torch.softmax(x, 1)
out["log_softmax_1"] = torch.log_softmax(x, 1)
out["softmax_last"] = torch.softmax(x, -1)
out["log_softmax_0"] = torch.log_softmax(x, 0)
out["softmax_t"] = torch.softmax(x.transpose(1, 3), 1)
big = torch.tensor([[1000.0, 1001.0, 999.0], [-1000.0, -1001.0, -999.0],
                    [float("-inf"), 0.0, 1.0], [float("-inf")] * 3, [float("nan"), 0.0, 1.0]])
out["big"] = big
out["big_softmax"] = torch.softmax(big, 1)
out["big_log_softmax"] = torch.log_softmax(big, 1)
h = torch.randn(3, 7).half()
out["h"] = h
out["h_softmax"] = torch.softmax(h.float(), 1).half()
out["d"] = torch.randn(4, 6, dtype=torch.float64)
out["d_log_softmax"] = torch.log_softmax(out["d"], 0)

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "softmax.h5")
with h5py.File(path, "w") as f:
    for k, v in out.items():
        f.create_dataset(k, data=v.numpy())
print("wrote", path, len(out), "datasets")

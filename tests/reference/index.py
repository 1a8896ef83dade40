"""PyTorch reference for tensor/ops/index: writes fixtures/index.h5.
Run with /usr/bin/python3. Inputs are stored next to outputs."""
import os
import h5py
import torch
import torch.nn.functional as F

g = torch.Generator().manual_seed(0)
out = {}
x = torch.randn(4, 5, 6, generator=g)
out["x"] = x
idx = torch.tensor([4, 0, 2, 2], dtype=torch.int64)
out["idx"] = idx
out["index_select_d1"] = torch.index_select(x, 1, idx)
out["index_select_t"] = torch.index_select(x.transpose(0, 2), -1, idx[1:3])
gi = torch.randint(0, 5, (3, 4, 6), generator=g)
out["gather_index"] = gi
out["gather_d1"] = torch.gather(x, 1, gi)
si = torch.randint(0, 4, (3, 5, 2), generator=g)
src = torch.randn(3, 5, 2, generator=g)
out["scatter_index"] = si
out["scatter_src"] = src
out["scatter_add_d0"] = x.scatter_add(0, si, src)
out["index_add_d2"] = x.index_add(2, torch.tensor([5, 0, 5]), torch.ones(4, 5, 3), alpha=2.0)
mask = x > 0.3
out["mask"] = mask.to(torch.uint8)
out["masked_select"] = torch.masked_select(x, mask)
out["masked_select_bcast"] = torch.masked_select(x, mask[0, :, :1])
out["nonzero"] = torch.nonzero(mask)
# Ties and NaN in sort: stable order, NaN last (first when descending).
y = torch.tensor([[3.0, 1.0, float("nan"), 1.0, 2.0, 3.0], [0.0, -1.0, 5.0, 5.0, -1.0, 0.0]])
out["y"] = y
v, i = torch.sort(y, dim=1, stable=True)
out["sort_v"], out["sort_i"] = v, i
v, i = torch.sort(y, dim=1, descending=True, stable=True)
out["sortd_v"], out["sortd_i"] = v, i
v, i = torch.sort(x, dim=0, stable=True)
out["sort0_v"], out["sort0_i"] = v, i
v, i = torch.topk(x, 3, dim=-1)
out["topk_v"], out["topk_i"] = v, i
v, i = torch.topk(x, 2, dim=1, largest=False)
out["topks_v"], out["topks_i"] = v, i
out["argsort_t"] = torch.argsort(x.transpose(0, 1), dim=1, descending=True)
out["one_hot"] = F.one_hot(torch.tensor([[0, 3], [2, 1]]), 5)

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "index.h5")
with h5py.File(path, "w") as f:
    for k, v in out.items():
        f.create_dataset(k, data=v.numpy())

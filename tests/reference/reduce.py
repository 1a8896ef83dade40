"""PyTorch reference for tests/tensor/reduce_test.cpp -> fixtures/reduce.h5."""
import os

import h5py
import torch

torch.manual_seed(0)
out = {}
x = torch.randn(3, 4, 5)
out["x"] = x
out["sum_all"] = x.sum()
out["sum_1"] = x.sum(1)
out["sum_02_keep"] = x.sum((0, 2), keepdim=True)
out["sum_neg1"] = x.sum(-1)
out["sum_t_0"] = x.transpose(0, 2).sum(0)            # non-contiguous input
out["prod_2"] = x.prod(2)
out["mean_12"] = x.mean((1, 2))
out["mean_0"] = x.mean(0)
out["var_1"] = x.var(1)
out["var_all_biased"] = x.var(unbiased=False)
out["std_02"] = x.std((0, 2))
out["amax_02"] = x.amax((0, 2))
out["amin_1_keep"] = x.amin(1, keepdim=True)
v, i = x.max(1)
out["max_1_values"], out["max_1_indices"] = v, i
v, i = x.min(-1, keepdim=True)
out["min_2_values"], out["min_2_indices"] = v, i
out["argmax_all"] = x.argmax()
out["argmin_0"] = x.argmin(0)
out["norm_all"] = x.norm()
out["norm_1_dim2"] = torch.linalg.vector_norm(x, 1, dim=2)
out["norm_inf_dim1"] = torch.linalg.vector_norm(x, float("inf"), dim=1)
out["norm_3_dim0"] = torch.linalg.vector_norm(x, 3, dim=0)
out["logsumexp_1"] = torch.logsumexp(x, 1)
out["cumsum_1"] = x.cumsum(1)
out["cumsum_t_0"] = x.transpose(0, 1).cumsum(0)
big = torch.randn(2000, 50) * 10 + 3
out["big"] = big
out["big_sum_0"] = big.sum(0)
out["big_sum_1"] = big.sum(1)
out["big_sum_all"] = big.sum()
out["big_var_0"] = big.var(0)
# ints and bools
xi = torch.randint(-4, 5, (3, 4), dtype=torch.int32)
out["xi"] = xi
out["xi_sum_1"] = xi.sum(1)                            # i64
out["xi_cumsum_0"] = xi.cumsum(0)                      # i64
out["xi_amax_0"] = xi.amax(0)
out["xb_sum"] = (xi > 0).sum()
out["xi_any_1"] = xi.any(1) if hasattr(xi, "any") else (xi != 0).any(1)
out["xi_all_0"] = (xi != 0).all(0)
# NaN propagation
xn = torch.randn(2, 5)
xn[0, 2] = float("nan")
out["xn"] = xn
out["xn_amax_1"] = xn.amax(1)
v, i = xn.max(1)
out["xn_max_1_values"], out["xn_max_1_indices"] = v, i
out["xn_sum_1"] = xn.sum(1)
lse = torch.tensor([[float("-inf"), float("-inf")], [1.0, float("-inf")], [float("inf"), 2.0]])
out["lse_in"] = lse
out["lse_out"] = torch.logsumexp(lse, 1)
# half
h = torch.randn(4, 64).half()
out["h"] = h
out["h_sum_1"] = h.float().sum(1).half()
out["h_mean_0"] = h.float().mean(0).half()
# empty and size 1
out["empty_sum_0"] = torch.zeros(0, 3).sum(0)
out["empty_prod_0"] = torch.zeros(0, 3).prod(0)
out["empty_mean_0"] = torch.zeros(0, 3).mean(0)

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "reduce.h5")
with h5py.File(path, "w") as f:
    for k, val in out.items():
        f.create_dataset(k, data=val.numpy())
print("wrote", path, len(out), "datasets")

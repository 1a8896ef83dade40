// Reductions with PyTorch semantics. `dims` lists the dims to reduce (negative allowed;
// empty = every dim); keepdim keeps them as size 1. Integer and bool sums/products
// accumulate and return i64; f16/bf16 accumulate in f32 and return their own dtype;
// f32 sums are pairwise (rows) or blocked (columns) so they match PyTorch to ~1e-6.
// max/min/amax/amin propagate NaN and fail on an empty reduction, like PyTorch.
#pragma once

#include <optional>
#include <vector>

#include "tensor/ops/index.h"
#include "tensor/tensor.h"

namespace sp {

using DimList = std::vector<int64_t>;

Tensor sum(const Tensor& x, const DimList& dims = {}, bool keepdim = false);
Tensor prod(const Tensor& x, const DimList& dims = {}, bool keepdim = false);
Tensor mean(const Tensor& x, const DimList& dims = {}, bool keepdim = false);  // floating only
// Variance with divisor N - correction (correction 1 = unbiased, PyTorch's default).
Tensor var(const Tensor& x, const DimList& dims = {}, double correction = 1.0,
           bool keepdim = false);
Tensor std_dev(const Tensor& x, const DimList& dims = {}, double correction = 1.0,
               bool keepdim = false);
Tensor amax(const Tensor& x, const DimList& dims = {}, bool keepdim = false);
Tensor amin(const Tensor& x, const DimList& dims = {}, bool keepdim = false);
// Vector p-norm over dims: p = 2 (default), 1, INFINITY, -INFINITY, 0 (count of
// nonzeros) or any other p (sum |x|^p)^(1/p). Floating only.
Tensor norm(const Tensor& x, double p = 2.0, const DimList& dims = {}, bool keepdim = false);
Tensor logsumexp(const Tensor& x, const DimList& dims, bool keepdim = false);  // stable
Tensor any(const Tensor& x, const DimList& dims = {}, bool keepdim = false);   // bool result
Tensor all(const Tensor& x, const DimList& dims = {}, bool keepdim = false);

// Values and (i64) indices (ValuesIndices from tensor/ops/index.h) of the max/min along
// one dim; ties and NaNs give the first.
ValuesIndices max(const Tensor& x, int64_t dim, bool keepdim = false);
ValuesIndices min(const Tensor& x, int64_t dim, bool keepdim = false);
Tensor max(const Tensor& x);  // 0-dim: amax over everything
Tensor min(const Tensor& x);
// Index of the max/min along dim, or into the flattened tensor when dim is absent.
Tensor argmax(const Tensor& x, std::optional<int64_t> dim = std::nullopt, bool keepdim = false);
Tensor argmin(const Tensor& x, std::optional<int64_t> dim = std::nullopt, bool keepdim = false);

// Inclusive prefix sum along dim (integers and bool give i64).
Tensor cumsum(const Tensor& x, int64_t dim);

// Sums a broadcast result back to `shape` (x's shape must be a broadcast of it): the
// gradient of broadcasting.
Tensor sum_to(const Tensor& x, const Shape& shape);

enum class ReduceOp : uint8_t { Sum, Prod, Mean, Amax, Amin, Any, All, Norm };

// ---- kernels: `in` is contiguous and read as [outer, size, inner], reducing the middle
// dim; `out` is contiguous with outer * inner elements. The public ops dispatch on the
// device in tensor/ops/reduce.cpp (run_reduce and friends).
namespace cpu {
// out dtype: Sum/Prod: i64 for integral inputs, else in's; Any/All: bool; else in's.
void reduce(ReduceOp op, const Tensor& out, const Tensor& in, int64_t outer, int64_t size,
            int64_t inner, double p);
// values (in's dtype; may be undefined) and indices (i64) of the max (or min).
void arg_reduce(bool is_max, const Tensor& values, const Tensor& indices, const Tensor& in,
                int64_t outer, int64_t size, int64_t inner);
// out has in's shape ([outer, size, inner]); i64 for integral inputs.
void cumsum(const Tensor& out, const Tensor& in, int64_t outer, int64_t size, int64_t inner);
}  // namespace cpu

}  // namespace sp

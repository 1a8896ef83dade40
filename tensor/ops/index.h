// Indexing and ordering: index_select, gather, scatter_add, index_add, masked_select,
// nonzero, topk, sort, argsort, one_hot. PyTorch semantics; dims may be negative.
// Index tensors are i32 or i64; indices must be in [0, size) (no negative indices), and
// an error names the offending index and its position.
#pragma once

#include <utility>

#include "tensor/tensor.h"

namespace sp {

// torch.index_select: indices is 1-D (or 0-D); out has size(dim) = indices.numel().
Tensor index_select(const Tensor& t, int64_t dim, const Tensor& indices);
// torch.gather: out[i][j][k] = t[index[i][j][k]][j][k] for dim 0, shape of `index`;
// index.size(d) <= t.size(d) for d != dim, same rank.
Tensor gather(const Tensor& t, int64_t dim, const Tensor& index);
// torch.Tensor.scatter_add: a copy of t with t[index[i][j]][j] += src[i][j] (dim 0);
// index.size(d) <= src.size(d) for all d and <= t.size(d) for d != dim.
Tensor scatter_add(const Tensor& t, int64_t dim, const Tensor& index, const Tensor& src);
// In place on t (which must not be a broadcast view); returns t.
Tensor& scatter_add_(Tensor& t, int64_t dim, const Tensor& index, const Tensor& src);
// torch.Tensor.index_add: a copy of t with t.select(dim, indices[i]) += alpha * src.select(dim, i).
Tensor index_add(const Tensor& t, int64_t dim, const Tensor& indices, const Tensor& src,
                 double alpha = 1.0);
// torch.masked_select: mask (bool) broadcasts with t; returns the selected elements 1-D.
Tensor masked_select(const Tensor& t, const Tensor& mask);
// torch.nonzero: [N, rank] i64 coordinates of non-zero elements in row-major order.
Tensor nonzero(const Tensor& t);

struct ValuesIndices {
  Tensor values;
  Tensor indices;  // i64
};
// torch.topk: the k largest (or smallest) along dim; NaN counts as the largest value.
// sorted=false still returns them in sorted order (a valid PyTorch result).
ValuesIndices topk(const Tensor& t, int64_t k, int64_t dim = -1, bool largest = true,
                   bool sorted = true);
// torch.sort(stable=True): ties keep their input order (also when descending);
// NaN sorts as the largest value.
ValuesIndices sort(const Tensor& t, int64_t dim = -1, bool descending = false);
Tensor argsort(const Tensor& t, int64_t dim = -1, bool descending = false);
// torch.nn.functional.one_hot: i64 [*, num_classes]; num_classes = -1 uses max + 1.
Tensor one_hot(const Tensor& indices, int64_t num_classes = -1);

namespace cpu {
// Kernels on contiguous tensors viewed as [outer, size(dim), inner].
void index_select(const Tensor& out, const Tensor& t, int dim, const Tensor& indices);
void gather(const Tensor& out, const Tensor& t, int dim, const Tensor& index);
void scatter_add(const Tensor& t, int dim, const Tensor& index, const Tensor& src);
void index_add(const Tensor& t, int dim, const Tensor& indices, const Tensor& src, double alpha);
Tensor masked_select(const Tensor& t, const Tensor& mask);  // same shapes
Tensor nonzero(const Tensor& t);
void sort(const Tensor& values, const Tensor& indices, const Tensor& t, int dim, bool descending,
          int64_t k);
void one_hot(const Tensor& out, const Tensor& indices, int64_t num_classes);
}  // namespace cpu

}  // namespace sp

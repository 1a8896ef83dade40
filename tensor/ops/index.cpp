#include "tensor/ops/index.h"

#include "tensor/cuda/index.h"
#include "tensor/ops/copy.h"
#include "tensor/ops/creation.h"

namespace sp {

namespace {
void check_index_tensor(const Tensor& index, const char* what, const char* arg) {
  check_defined(index, what);
  SP_CHECK(index.dtype() == DType::I64 || index.dtype() == DType::I32, what, ": expected ", arg,
           " of dtype i64 or i32, got ", index.dtype());
}

// gather / scatter shape rules: same rank, index.size(d) <= limit.size(d) (d != skip).
void check_index_fits(const Tensor& index, const Tensor& limit, int skip, const char* what,
                      const char* arg, const char* limit_name) {
  SP_CHECK(index.dim() == limit.dim(), what, ": expected index of rank ", limit.dim(), " like ",
           limit_name, " ", limit.shape(), ", got ", index.shape());
  for (int d = 0; d < index.dim(); ++d)
    SP_CHECK(d == skip || index.shape()[d] <= limit.shape()[d], what, ": expected ", arg, " ",
             index.shape(), " no larger than ", limit_name, " ", limit.shape(), " in dim ", d);
}

int dim_or_zero(int64_t dim, const Tensor& t, const char* what) {
  return t.dim() == 0 ? (wrap_dim(dim, 1, what), 0) : wrap_dim(dim, t.dim(), what);
}
}  // namespace

Tensor index_select(const Tensor& t, int64_t dim, const Tensor& indices) {
  check_defined(t, "index_select");
  check_index_tensor(indices, "index_select", "indices");
  check_same_device(t, indices, "index_select");
  SP_CHECK(indices.dim() <= 1, "index_select: expected 1-D indices, got ", indices.shape());
  const int d = dim_or_zero(dim, t, "index_select");
  Tensor src = t.dim() == 0 ? t.unsqueeze(0) : t;
  Shape out_shape = src.shape();
  out_shape[d] = indices.numel();
  Tensor out = empty(out_shape, t.dtype(), t.device());
  (t.is_cuda() ? cuda::index_select : cpu::index_select)(out, src, d, indices);
  return t.dim() == 0 ? out.squeeze(0) : out;
}

Tensor gather(const Tensor& t, int64_t dim, const Tensor& index) {
  check_defined(t, "gather");
  check_index_tensor(index, "gather", "index");
  check_same_device(t, index, "gather");
  const int d = dim_or_zero(dim, t, "gather");
  check_index_fits(index, t, d, "gather", "index", "input");
  Tensor out = empty(index.shape(), t.dtype(), t.device());
  (t.is_cuda() ? cuda::gather : cpu::gather)(out, t, d, index);
  return out;
}

Tensor& scatter_add_(Tensor& t, int64_t dim, const Tensor& index, const Tensor& src) {
  check_defined(t, "scatter_add");
  check_defined(src, "scatter_add");
  check_index_tensor(index, "scatter_add", "index");
  check_same_device(t, index, "scatter_add");
  check_same_device(t, src, "scatter_add");
  SP_CHECK(src.dtype() == t.dtype(), "scatter_add: expected src of dtype ", t.dtype(), ", got ",
           src.dtype());
  const int d = dim_or_zero(dim, t, "scatter_add");
  check_index_fits(index, t, d, "scatter_add", "index", "self");
  check_index_fits(index, src, -1, "scatter_add", "index", "src");
  for (int i = 0; i < t.dim(); ++i)
    SP_CHECK(t.strides()[i] != 0 || t.shape()[i] <= 1,
             "scatter_add: expected a tensor without broadcast ",
             "(stride 0) dims to write into, got strides ", t.strides(), " for ", t.shape());
  (t.is_cuda() ? cuda::scatter_add : cpu::scatter_add)(t, d, index, src);
  return t;
}

Tensor scatter_add(const Tensor& t, int64_t dim, const Tensor& index, const Tensor& src) {
  Tensor out = t.clone();
  scatter_add_(out, dim, index, src);
  return out;
}

Tensor index_add(const Tensor& t, int64_t dim, const Tensor& indices, const Tensor& src,
                 double alpha) {
  check_defined(t, "index_add");
  check_defined(src, "index_add");
  check_index_tensor(indices, "index_add", "indices");
  check_same_device(t, indices, "index_add");
  check_same_device(t, src, "index_add");
  SP_CHECK(indices.dim() <= 1, "index_add: expected 1-D indices, got ", indices.shape());
  SP_CHECK(src.dtype() == t.dtype(), "index_add: expected src of dtype ", t.dtype(), ", got ",
           src.dtype());
  const int d = wrap_dim(dim, t.dim(), "index_add");
  Shape want = t.shape();
  want[d] = indices.numel();
  SP_CHECK(src.shape() == want, "index_add: expected src of shape ", want, " for input ", t.shape(),
           " and ", indices.numel(), " indices, got ", src.shape());
  Tensor out = t.clone();
  (t.is_cuda() ? cuda::index_add : cpu::index_add)(out, d, indices, src, alpha);
  return out;
}

Tensor masked_select(const Tensor& t, const Tensor& mask) {
  check_defined(t, "masked_select");
  check_defined(mask, "masked_select");
  check_dtype(mask, DType::Bool, "masked_select", "mask");
  check_same_device(t, mask, "masked_select");
  const Shape s = broadcast_shapes(t.shape(), mask.shape(), "masked_select");
  return (t.is_cuda() ? cuda::masked_select : cpu::masked_select)(t.expand(s), mask.expand(s));
}

Tensor nonzero(const Tensor& t) {
  check_defined(t, "nonzero");
  return (t.is_cuda() ? cuda::nonzero : cpu::nonzero)(t);
}

namespace {
ValuesIndices sort_impl(const Tensor& t, int64_t dim, bool descending, int64_t k,
                        const char* what) {
  check_defined(t, what);
  const int d = dim_or_zero(dim, t, what);
  const int64_t n = t.dim() ? t.shape()[d] : 1;
  SP_CHECK(k >= 0 && k <= n, what, ": expected k in [0, ", n, "] for dim ", d, " of ", t.shape(),
           ", got ", k);
  Shape out_shape = t.shape();
  if (t.dim()) out_shape[d] = k;
  ValuesIndices r{empty(out_shape, t.dtype(), t.device()),
                  empty(out_shape, DType::I64, t.device())};
  if (r.values.numel())
    (t.is_cuda() ? cuda::sort : cpu::sort)(r.values, r.indices, t.contiguous(), d, descending, k);
  return r;
}
}  // namespace

ValuesIndices topk(const Tensor& t, int64_t k, int64_t dim, bool largest, bool /*sorted*/) {
  return sort_impl(t, dim, largest, k, "topk");
}

ValuesIndices sort(const Tensor& t, int64_t dim, bool descending) {
  check_defined(t, "sort");
  const int64_t n = t.dim() ? t.shape()[dim_or_zero(dim, t, "sort")] : 1;
  return sort_impl(t, dim, descending, n, "sort");
}

Tensor argsort(const Tensor& t, int64_t dim, bool descending) {
  return sort(t, dim, descending).indices;
}

Tensor one_hot(const Tensor& indices, int64_t num_classes) {
  check_index_tensor(indices, "one_hot", "indices");
  if (num_classes < 0) {
    SP_CHECK(indices.numel() > 0, "one_hot: expected num_classes for an empty indices tensor ",
             indices.shape(), "; hint: pass num_classes explicitly");
    int64_t max = 0;
    for (int64_t v : indices.to_vector<int64_t>()) max = std::max(max, v);
    num_classes = max + 1;
  }
  Shape s = indices.shape();
  s.push_back(num_classes);
  Tensor out = zeros(s, DType::I64, indices.device());
  (indices.is_cuda() ? cuda::one_hot : cpu::one_hot)(out, indices, num_classes);
  return out;
}

}  // namespace sp

#include "tensor/ops/reduce.h"

#include <algorithm>
#include <cmath>

#include "tensor/cuda/reduce_ops.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/elementwise.h"

namespace sp {
namespace {

// A reduction as [outer, size, inner] over a contiguous tensor, and its output shape.
struct Plan {
  Tensor in;
  int64_t outer = 1, size = 1, inner = 1;
  Shape out_shape;
  std::array<bool, kMaxRank> reduced{};
};

std::array<bool, kMaxRank> reduced_mask(const Tensor& x, const DimList& dims, const char* what) {
  std::array<bool, kMaxRank> mask{};
  const int rank = x.dim();
  if (dims.empty()) {
    for (int d = 0; d < rank; ++d) mask[d] = true;
    return mask;
  }
  for (int64_t d : dims) {
    if (rank == 0) {  // PyTorch accepts dim 0 / -1 on a 0-dim tensor
      SP_CHECK(d == 0 || d == -1, what, ": expected dim in [-1, 0] for a 0-dim tensor, got ", d);
      continue;
    }
    const int w = wrap_dim(d, rank, what);
    SP_CHECK(!mask[w], what, ": expected distinct dims, got dim ", w, " twice");
    mask[w] = true;
  }
  return mask;
}

Plan plan_reduce(const Tensor& x, const DimList& dims, bool keepdim, const char* what) {
  check_defined(x, what);
  Plan p;
  p.reduced = reduced_mask(x, dims, what);
  const int rank = x.dim();
  for (int d = 0; d < rank; ++d) {
    if (!p.reduced[d])
      p.out_shape.push_back(x.size(d));
    else if (keepdim)
      p.out_shape.push_back(1);
  }
  // Reduced dims (ignoring size-1 dims) forming one block need no permutation.
  int first = -1, last = -1;
  for (int d = 0; d < rank; ++d)
    if (p.reduced[d] && x.size(d) != 1) {
      if (first < 0) first = d;
      last = d;
    }
  bool block = true;
  for (int d = first; first >= 0 && d <= last; ++d)
    block = block && (p.reduced[d] || x.size(d) == 1);
  if (block) {
    p.in = x.contiguous();
    for (int d = 0; d < rank; ++d) {
      if (p.reduced[d])
        p.size *= x.size(d);
      else if (first >= 0 && d > last)
        p.inner *= x.size(d);
      else
        p.outer *= x.size(d);
    }
  } else {
    std::vector<int64_t> perm;
    for (int d = 0; d < rank; ++d)
      if (!p.reduced[d]) perm.push_back(d), p.outer *= x.size(d);
    for (int d = 0; d < rank; ++d)
      if (p.reduced[d]) perm.push_back(d), p.size *= x.size(d);
    p.in = x.permute(perm).contiguous();
  }
  return p;
}

// ---- the device dispatch of every reduction (CUDA kernels plug in here)
void run_reduce(const char* /*what*/, ReduceOp op, const Tensor& out, const Plan& p, double param) {
  if (out.is_cpu()) return cpu::reduce(op, out, p.in, p.outer, p.size, p.inner, param);
  cuda::reduce(op, out, p.in, p.outer, p.size, p.inner, param);
}
void run_arg_reduce(const char* /*what*/, bool is_max, const Tensor& values, const Tensor& indices,
                    const Plan& p) {
  if (indices.is_cpu())
    return cpu::arg_reduce(is_max, values, indices, p.in, p.outer, p.size, p.inner);
  cuda::arg_reduce(is_max, values, indices, p.in, p.outer, p.size, p.inner);
}
void run_cumsum(const Tensor& out, const Tensor& in, int64_t outer, int64_t size, int64_t inner) {
  if (out.is_cpu()) return cpu::cumsum(out, in, outer, size, inner);
  cuda::cumsum(out, in, outer, size, inner);
}

DType sum_dtype(DType t) {
  return is_integral(t) ? DType::I64 : t;
}

// When the reduced dims form several blocks (NCHW over {0, 2, 3}: a bias gradient),
// returns the dims of the last block, else nothing: the caller then reduces that block
// first and the rest after, instead of permuting a full copy of x.
DimList last_block_if_split(const Tensor& x, const DimList& dims, const char* what) {
  const std::array<bool, kMaxRank> mask = reduced_mask(x, dims, what);
  int last = -1;
  for (int d = 0; d < x.dim(); ++d)
    if (mask[d] && x.size(d) != 1) last = d;
  if (last < 0) return {};
  int start = last;
  while (start > 0 && (mask[start - 1] || x.size(start - 1) == 1)) --start;
  DimList block;
  bool outside = false;
  for (int d = 0; d < x.dim(); ++d) {
    if (d >= start && d <= last) {
      if (mask[d]) block.push_back(d);
    } else if (mask[d] && x.size(d) != 1) {
      outside = true;
    }
  }
  return outside ? block : DimList{};
}

Tensor reduce_op(const char* what, ReduceOp op, const Tensor& x, const DimList& dims, bool keepdim,
                 double param = 0) {
  const bool decomposable = op == ReduceOp::Sum || op == ReduceOp::Prod || op == ReduceOp::Amax ||
                            op == ReduceOp::Amin || op == ReduceOp::Any || op == ReduceOp::All;
  // f16/bf16 would round the partial results: they take the permuting path.
  if (decomposable && x.defined() && x.dtype() != DType::F16 && x.dtype() != DType::BF16 &&
      x.numel() > 0) {
    const DimList block = last_block_if_split(x, dims, what);
    // The second pass reduces every listed dim: those of the block now have size 1.
    if (!block.empty())
      return reduce_op(what, op, reduce_op(what, op, x, block, true, param), dims, keepdim, param);
  }
  Plan p = plan_reduce(x, dims, keepdim, what);
  DType out_dtype = x.dtype();
  if (op == ReduceOp::Sum || op == ReduceOp::Prod) out_dtype = sum_dtype(x.dtype());
  if (op == ReduceOp::Any || op == ReduceOp::All) out_dtype = DType::Bool;
  if (op == ReduceOp::Mean || op == ReduceOp::Norm)
    SP_CHECK(is_floating(x.dtype()), what, ": expected a floating dtype, got ", x.dtype(),
             "; hint: convert with .to(DType::F32)");
  if (op == ReduceOp::Amax || op == ReduceOp::Amin)
    SP_CHECK(p.size > 0 || p.outer * p.inner == 0, what,
             ": expected a non-empty reduction, got shape ", x.shape(),
             "; hint: the identity is undefined");
  Tensor out = empty(p.out_shape, out_dtype, x.device());
  if (out.numel() == 0) return out;
  run_reduce(what, op, out, p, param);
  return out;
}

ValuesIndices arg_op(const char* what, bool is_max, const Tensor& x, int64_t dim, bool keepdim,
                     bool values) {
  Plan p = plan_reduce(x, {dim}, keepdim, what);
  SP_CHECK(p.size > 0, what, ": expected a non-empty dim ", dim, ", got shape ", x.shape());
  ValuesIndices r;
  if (values) r.values = empty(p.out_shape, x.dtype(), x.device());
  r.indices = empty(p.out_shape, DType::I64, x.device());
  if (r.indices.numel() == 0) return r;
  run_arg_reduce(what, is_max, r.values, r.indices, p);
  return r;
}

}  // namespace

Tensor sum(const Tensor& x, const DimList& dims, bool keepdim) {
  return reduce_op("sum", ReduceOp::Sum, x, dims, keepdim);
}
Tensor prod(const Tensor& x, const DimList& dims, bool keepdim) {
  return reduce_op("prod", ReduceOp::Prod, x, dims, keepdim);
}
Tensor mean(const Tensor& x, const DimList& dims, bool keepdim) {
  return reduce_op("mean", ReduceOp::Mean, x, dims, keepdim);
}
Tensor amax(const Tensor& x, const DimList& dims, bool keepdim) {
  return reduce_op("amax", ReduceOp::Amax, x, dims, keepdim);
}
Tensor amin(const Tensor& x, const DimList& dims, bool keepdim) {
  return reduce_op("amin", ReduceOp::Amin, x, dims, keepdim);
}
Tensor any(const Tensor& x, const DimList& dims, bool keepdim) {
  return reduce_op("any", ReduceOp::Any, x, dims, keepdim);
}
Tensor all(const Tensor& x, const DimList& dims, bool keepdim) {
  return reduce_op("all", ReduceOp::All, x, dims, keepdim);
}
Tensor norm(const Tensor& x, double p, const DimList& dims, bool keepdim) {
  return reduce_op("norm", ReduceOp::Norm, x, dims, keepdim, p);
}

Tensor var(const Tensor& x, const DimList& dims, double correction, bool keepdim) {
  check_defined(x, "var");
  SP_CHECK(is_floating(x.dtype()), "var: expected a floating dtype, got ", x.dtype());
  const Tensor xc = x.to(compute_type(x.dtype()));  // f16/bf16: the deviations in f32
  Tensor m = mean(xc, dims, true);
  const int64_t n = m.numel() == 0 ? 0 : x.numel() / m.numel();
  Tensor d = sub(xc, m);
  Tensor ssd = sum(mul(d, d), dims, keepdim);
  return div(ssd, std::max(0.0, double(n) - correction)).to(x.dtype());
}
Tensor std_dev(const Tensor& x, const DimList& dims, double correction, bool keepdim) {
  return sqrt(var(x, dims, correction, keepdim));
}

Tensor logsumexp(const Tensor& x, const DimList& dims, bool keepdim) {
  check_defined(x, "logsumexp");
  const Tensor xf = is_integral(x.dtype()) ? x.to(DType::F32) : x;
  Tensor m = amax(xf, dims, true);
  m = where(eq(abs(m), INFINITY), 0.0, m);  // all -inf (or +inf): shift by 0 instead
  Tensor r = add(log(sum(exp(sub(xf, m)), dims, true)), m);
  return keepdim ? r : r.reshape(plan_reduce(x, dims, false, "logsumexp").out_shape);
}

ValuesIndices max(const Tensor& x, int64_t dim, bool keepdim) {
  return arg_op("max", true, x, dim, keepdim, true);
}
ValuesIndices min(const Tensor& x, int64_t dim, bool keepdim) {
  return arg_op("min", false, x, dim, keepdim, true);
}
Tensor max(const Tensor& x) {
  return amax(x);
}
Tensor min(const Tensor& x) {
  return amin(x);
}
Tensor argmax(const Tensor& x, std::optional<int64_t> dim, bool keepdim) {
  if (!dim) {
    check_defined(x, "argmax");
    Tensor r = arg_op("argmax", true, x.reshape({-1}), 0, false, false).indices;
    return keepdim ? r.reshape(Shape::filled(x.dim(), 1)) : r;
  }
  return arg_op("argmax", true, x, *dim, keepdim, false).indices;
}
Tensor argmin(const Tensor& x, std::optional<int64_t> dim, bool keepdim) {
  if (!dim) {
    check_defined(x, "argmin");
    Tensor r = arg_op("argmin", false, x.reshape({-1}), 0, false, false).indices;
    return keepdim ? r.reshape(Shape::filled(x.dim(), 1)) : r;
  }
  return arg_op("argmin", false, x, *dim, keepdim, false).indices;
}

Tensor cumsum(const Tensor& x, int64_t dim) {
  check_defined(x, "cumsum");
  const int rank = std::max(1, x.dim());
  const int d = wrap_dim(dim, rank, "cumsum");
  Tensor in = x.contiguous();
  int64_t outer = 1, size = x.dim() == 0 ? 1 : x.size(d), inner = 1;
  for (int k = 0; k < x.dim(); ++k) {
    if (k < d) outer *= x.size(k);
    if (k > d) inner *= x.size(k);
  }
  Tensor out = empty(x.shape(), sum_dtype(x.dtype()), x.device());
  if (out.numel() == 0) return out;
  run_cumsum(out, in, outer, size, inner);
  return out;
}

Tensor sum_to(const Tensor& x, const Shape& shape) {
  check_defined(x, "sum_to");
  SP_CHECK(shape.rank() <= x.dim() && broadcast_shapes(shape, x.shape(), "sum_to") == x.shape(),
           "sum_to: expected a shape that broadcasts to ", x.shape(), ", got ", shape);
  if (x.shape() == shape) return x;
  const int lead = x.dim() - shape.rank();
  DimList dims;
  for (int d = 0; d < x.dim(); ++d)
    if (d < lead || (shape[d - lead] == 1 && x.size(d) != 1)) dims.push_back(d);
  if (dims.empty()) return x.reshape(shape);
  return sum(x, dims, true).reshape(shape);
}

}  // namespace sp

#include "tensor/ops/group_norm.h"

#include <cmath>
#include <sstream>

#include "tensor/cuda/group_norm.h"
#include "tensor/ops/creation.h"

namespace sp {
namespace {

DType stat_dtype(DType x) {
  return x == DType::F64 ? DType::F64 : DType::F32;
}

std::string shape_str(const std::vector<int64_t>& dims) {
  std::ostringstream s;
  s << Shape(dims);
  return s.str();
}

// An optional affine tensor: undefined, or of shape `want` with x's dtype and device.
void check_affine(const Tensor& t, const Tensor& x, const Shape& want, const char* what,
                  const char* arg) {
  if (!t.defined()) return;
  check_same_device(t, x, what);
  SP_CHECK(t.shape() == want, what, ": expected ", arg, " of shape ", want, " for input ",
           x.shape(), ", got ", t.shape());
  SP_CHECK(t.dtype() == x.dtype(), what, ": expected ", arg, " of dtype ", x.dtype(),
           " like the input, got ", t.dtype());
}

GroupNormDims channel_dims(const Tensor& x, int64_t groups, const char* what) {
  check_defined(x, what);
  check_floating(x, what, "input");
  SP_CHECK(x.dim() >= 2, what, ": expected an input [N, C, *], got ", x.shape());
  const int64_t C = x.size(1);
  SP_CHECK(groups > 0 && C % groups == 0, what, ": expected a number of groups dividing the ", C,
           " channels of input ", x.shape(), ", got ", groups);
  const int64_t nc = x.size(0) * C;
  return {x.size(0), C, nc > 0 ? x.numel() / nc : 0, groups};
}

GroupNormDims layer_dims(const Tensor& x, const std::vector<int64_t>& normalized_shape,
                         const char* what) {
  check_defined(x, what);
  check_floating(x, what, "input");
  const int k = int(normalized_shape.size());
  SP_CHECK(k > 0, what, ": expected a non-empty normalized_shape");
  bool ok = x.dim() >= k;
  for (int i = 0; ok && i < k; ++i) ok = x.size(x.dim() - k + i) == normalized_shape[size_t(i)];
  SP_CHECK(ok, what, ": expected an input [*, ", shape_str(normalized_shape).substr(1),
           " for normalized_shape ", shape_str(normalized_shape), ", got ", x.shape());
  int64_t D = 1;
  for (int64_t v : normalized_shape) D *= v;
  return {D > 0 ? x.numel() / D : 0, D, 1, 1};
}

GroupNormResult run_forward(const Tensor& x, const Tensor& weight, const Tensor& bias,
                            GroupNormDims d, double eps) {
  GroupNormResult r{empty(x.shape(), x.dtype(), x.device()),
                    empty({d.n, d.g}, stat_dtype(x.dtype()), x.device()),
                    empty({d.n, d.g}, stat_dtype(x.dtype()), x.device())};
  if (x.numel() == 0) {  // empty groups: the statistics of nothing (mean 0, var 0)
    r.mean.fill_(0.0);
    r.rstd.fill_(1.0 / std::sqrt(eps));
    return r;
  }
  (x.is_cuda() ? cuda::group_norm : cpu::group_norm)(
      r.output, r.mean, r.rstd, x.contiguous(), weight.defined() ? weight.contiguous() : Tensor(),
      bias.defined() ? bias.contiguous() : Tensor(), d, eps);
  return r;
}

GroupNormGrads run_backward(const Tensor& grad, const Tensor& x, const Tensor& weight,
                            const Tensor& mean, const Tensor& rstd, GroupNormDims d,
                            const Shape& affine_shape, bool affine_grads, const char* what) {
  check_defined(grad, what);
  SP_CHECK(grad.shape() == x.shape() && grad.dtype() == x.dtype() && grad.device() == x.device(),
           what, ": expected a gradient like the input ", x.meta(), ", got ", grad.meta());
  for (const Tensor* t : {&mean, &rstd}) {
    check_defined(*t, what);
    SP_CHECK(
        t->numel() == d.n * d.g && t->dtype() == stat_dtype(x.dtype()) && t->device() == x.device(),
        what, ": expected saved statistics ", stat_dtype(x.dtype()), "[", d.n, ", ", d.g, "] ",
        x.device(), ", got ", t->meta());
  }
  GroupNormGrads g{empty(x.shape(), x.dtype(), x.device()), Tensor(), Tensor()};
  if (affine_grads) {
    g.grad_weight = zeros(affine_shape, x.dtype(), x.device());
    g.grad_bias = zeros(affine_shape, x.dtype(), x.device());
  }
  if (x.numel() == 0) return g;
  // Kernels see [C] views of the affine gradients (layer norm's may be multi-dim).
  (x.is_cuda() ? cuda::group_norm_backward : cpu::group_norm_backward)(
      g.grad_input, affine_grads ? g.grad_weight.view({d.c}) : Tensor(),
      affine_grads ? g.grad_bias.view({d.c}) : Tensor(), grad.contiguous(), x.contiguous(),
      weight.defined() ? weight.contiguous() : Tensor(), mean.contiguous(), rstd.contiguous(), d);
  return g;
}

}  // namespace

GroupNormResult group_norm(const Tensor& x, int64_t groups, const Tensor& weight,
                           const Tensor& bias, double eps) {
  const GroupNormDims d = channel_dims(x, groups, "group_norm");
  check_affine(weight, x, {d.c}, "group_norm", "weight");
  check_affine(bias, x, {d.c}, "group_norm", "bias");
  return run_forward(x, weight, bias, d, eps);
}

GroupNormResult instance_norm(const Tensor& x, const Tensor& weight, const Tensor& bias,
                              double eps) {
  check_defined(x, "instance_norm");
  SP_CHECK(x.dim() >= 3,
           "instance_norm: expected an input [N, C, *] with at least one spatial dim, got ",
           x.shape());
  const GroupNormDims d = channel_dims(x, x.size(1) > 0 ? x.size(1) : 1, "instance_norm");
  check_affine(weight, x, {d.c}, "instance_norm", "weight");
  check_affine(bias, x, {d.c}, "instance_norm", "bias");
  return run_forward(x, weight, bias, d, eps);
}

GroupNormResult layer_norm(const Tensor& x, const std::vector<int64_t>& normalized_shape,
                           const Tensor& weight, const Tensor& bias, double eps) {
  const GroupNormDims d = layer_dims(x, normalized_shape, "layer_norm");
  check_affine(weight, x, Shape(normalized_shape), "layer_norm", "weight");
  check_affine(bias, x, Shape(normalized_shape), "layer_norm", "bias");
  return run_forward(x, weight, bias, d, eps);
}

GroupNormGrads group_norm_backward(const Tensor& grad, const Tensor& x, int64_t groups,
                                   const Tensor& weight, const Tensor& mean, const Tensor& rstd,
                                   bool affine_grads) {
  const GroupNormDims d = channel_dims(x, groups, "group_norm_backward");
  check_affine(weight, x, {d.c}, "group_norm_backward", "weight");
  return run_backward(grad, x, weight, mean, rstd, d, {d.c}, affine_grads, "group_norm_backward");
}

GroupNormGrads layer_norm_backward(const Tensor& grad, const Tensor& x,
                                   const std::vector<int64_t>& normalized_shape,
                                   const Tensor& weight, const Tensor& mean, const Tensor& rstd,
                                   bool affine_grads) {
  const GroupNormDims d = layer_dims(x, normalized_shape, "layer_norm_backward");
  check_affine(weight, x, Shape(normalized_shape), "layer_norm_backward", "weight");
  return run_backward(grad, x, weight, mean, rstd, d, Shape(normalized_shape), affine_grads,
                      "layer_norm_backward");
}

}  // namespace sp

#include "tensor/ops/sinkhorn.h"

#include "tensor/cuda/sinkhorn.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/elementwise.h"
#include "tensor/ops/reduce.h"

namespace sp {
namespace {

struct SinkhornDims {
  int64_t b, r, c;
};

SinkhornDims check(const Tensor& Z, const Tensor& log_mu, const Tensor& log_nu, const char* what) {
  for (const Tensor* t : {&Z, &log_mu, &log_nu}) check_defined(*t, what);
  check_same_device(Z, log_mu, what);
  check_same_device(Z, log_nu, what);
  SP_CHECK(Z.dim() == 3, what, ": expected scores Z [B, R, C], got ", Z.shape());
  SP_CHECK(Z.dtype() == DType::F32 || Z.dtype() == DType::F64, what,
           ": expected Z of dtype f32 or f64, got ", Z.dtype());
  const SinkhornDims d{Z.size(0), Z.size(1), Z.size(2)};
  SP_CHECK(log_mu.shape() == Shape({d.b, d.r}) && log_nu.shape() == Shape({d.b, d.c}), what,
           ": expected log_mu [", d.b, ", ", d.r, "] and log_nu [", d.b, ", ", d.c, "] for Z ",
           Z.shape(), ", got ", log_mu.shape(), " and ", log_nu.shape());
  SP_CHECK(log_mu.dtype() == Z.dtype() && log_nu.dtype() == Z.dtype(), what,
           ": expected marginals of dtype ", Z.dtype(), " like Z, got ", log_mu.dtype(), " and ",
           log_nu.dtype());
  return d;
}

}  // namespace

SinkhornResult log_sinkhorn(const Tensor& Z, const Tensor& log_mu, const Tensor& log_nu,
                            int64_t iters) {
  const char* what = "log_sinkhorn";
  const SinkhornDims d = check(Z, log_mu, log_nu, what);
  SP_CHECK(iters >= 0, what, ": expected a non-negative number of iterations, got ", iters);
  const Tensor z = Z.contiguous(), mu = log_mu.contiguous(), nu = log_nu.contiguous();
  SinkhornResult r{Tensor(), zeros({iters + 1, d.b, d.r}, Z.dtype(), Z.device()),
                   zeros({iters + 1, d.b, d.c}, Z.dtype(), Z.device())};
  const bool gpu = Z.is_cuda();
  if (d.b * d.r * d.c > 0)
    for (int64_t t = 1; t <= iters; ++t) {
      (gpu ? cuda::sinkhorn_rows : cpu::sinkhorn_rows)(r.us[t], z, mu, r.vs[t - 1]);
      (gpu ? cuda::sinkhorn_cols : cpu::sinkhorn_cols)(r.vs[t], z, nu, r.us[t]);
    }
  r.log_p = add(add(z, r.us[iters].unsqueeze(2)), r.vs[iters].unsqueeze(1));
  return r;
}

Tensor log_sinkhorn_backward(const Tensor& grad, const Tensor& Z, const Tensor& log_mu,
                             const Tensor& log_nu, const Tensor& us, const Tensor& vs) {
  const char* what = "log_sinkhorn_backward";
  const SinkhornDims d = check(Z, log_mu, log_nu, what);
  check_defined(grad, what);
  SP_CHECK(grad.shape() == Z.shape() && grad.dtype() == Z.dtype() && grad.device() == Z.device(),
           what, ": expected a gradient like Z ", Z.meta(), ", got ", grad.meta());
  SP_CHECK(us.defined() && vs.defined() && us.dim() == 3 && us.size(0) == vs.size(0) &&
               us.shape() == Shape({us.size(0), d.b, d.r}) &&
               vs.shape() == Shape({vs.size(0), d.b, d.c}),
           what, ": expected the forward's potentials [iters + 1, ", d.b, ", ", d.r,
           "] and [iters + 1, ", d.b, ", ", d.c, "], got ", us.defined() ? us.shape() : Shape{},
           " and ", vs.defined() ? vs.shape() : Shape{});
  const int64_t iters = us.size(0) - 1;
  Tensor dZ = grad.contiguous().clone();
  if (iters == 0 || d.b * d.r * d.c == 0) return dZ;
  const Tensor z = Z.contiguous(), mu = log_mu.contiguous(), nu = log_nu.contiguous();
  const Tensor u_all = us.contiguous(), v_all = vs.contiguous();
  const bool gpu = Z.is_cuda();
  // Gradients of the last potentials from log P = Z + u + v.
  Tensor du_out = sum(grad, {2}), dv = sum(grad, {1}).contiguous();
  Tensor du = empty({d.b, d.r}, Z.dtype(), Z.device()),
         dv_prev = empty({d.b, d.c}, Z.dtype(), Z.device());
  for (int64_t t = iters; t >= 1; --t) {
    (gpu ? cuda::sinkhorn_cols_backward : cpu::sinkhorn_cols_backward)(dZ, du, z, nu, u_all[t],
                                                                       v_all[t], dv);
    if (t == iters) add_(du, du_out);
    (gpu ? cuda::sinkhorn_rows_backward : cpu::sinkhorn_rows_backward)(dZ, dv_prev, z, mu, u_all[t],
                                                                       v_all[t - 1], du);
    std::swap(dv, dv_prev);
  }
  return dZ;
}

}  // namespace sp

// Log-domain Sinkhorn iterations (SuperGlue's log_sinkhorn_iterations), fused, with an
// exact backward through the unrolled iterations that keeps only the potentials:
//   u = 0, v = 0; repeat iters times:
//     u_i = log_mu_i - logsumexp_j(Z_ij + v_j);  v_j = log_nu_j - logsumexp_i(Z_ij + u_i)
//   log P = Z + u + v
// Z [B, R, C]; log_mu [B, R], log_nu [B, C] (constants: no gradient). Memory: the output
// and the potentials of every iteration, (iters + 1) (R + C) values per batch entry, never
// a copy of Z per iteration; the backward recomputes each iteration's transport plan from
// Z and the potentials (two passes over Z per iteration, as the forward). f32 and f64.
#pragma once

#include "tensor/tensor.h"

namespace sp {

struct SinkhornResult {
  Tensor log_p;  // [B, R, C]
  Tensor us;     // [iters + 1, B, R]: us[t] = u after t iterations (us[0] = 0)
  Tensor vs;     // [iters + 1, B, C]
};

SinkhornResult log_sinkhorn(const Tensor& Z, const Tensor& log_mu, const Tensor& log_nu,
                            int64_t iters);
// dL/dZ given dL/d(log P) = grad.
Tensor log_sinkhorn_backward(const Tensor& grad, const Tensor& Z, const Tensor& log_mu,
                             const Tensor& log_nu, const Tensor& us, const Tensor& vs);

// ---- kernels on contiguous tensors: Z [B, R, C], rows [B, R], cols [B, C].
namespace cpu {
// u = log_mu - logsumexp_j(Z + v)
void sinkhorn_rows(const Tensor& u, const Tensor& Z, const Tensor& log_mu, const Tensor& v);
// v = log_nu - logsumexp_i(Z + u)
void sinkhorn_cols(const Tensor& v, const Tensor& Z, const Tensor& log_nu, const Tensor& u);
// Backward of the column step v = log_nu - lse_i(Z + u) given dv: with the column plan
// Pc_ij = exp(Z_ij + u_i - log_nu_j + v_j): dZ -= Pc dv_j, du_i = -sum_j Pc_ij dv_j (du is
// overwritten).
void sinkhorn_cols_backward(const Tensor& dZ, const Tensor& du, const Tensor& Z,
                            const Tensor& log_nu, const Tensor& u, const Tensor& v,
                            const Tensor& dv);
// Backward of the row step u = log_mu - lse_j(Z + v_prev) given du: with the row plan
// Pr_ij = exp(Z_ij + v_prev_j - log_mu_i + u_i): dZ -= Pr du_i, dv_prev_j = -sum_i Pr_ij du_i.
void sinkhorn_rows_backward(const Tensor& dZ, const Tensor& dv_prev, const Tensor& Z,
                            const Tensor& log_mu, const Tensor& u, const Tensor& v_prev,
                            const Tensor& du);
}  // namespace cpu

}  // namespace sp

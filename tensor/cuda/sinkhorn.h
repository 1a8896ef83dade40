// CUDA Sinkhorn steps with the contracts of the sp::cpu ones (tensor/ops/sinkhorn.h).
#pragma once

#include "tensor/ops/sinkhorn.h"

namespace sp::cuda {

void sinkhorn_rows(const Tensor& u, const Tensor& Z, const Tensor& log_mu, const Tensor& v);
void sinkhorn_cols(const Tensor& v, const Tensor& Z, const Tensor& log_nu, const Tensor& u);
void sinkhorn_cols_backward(const Tensor& dZ, const Tensor& du, const Tensor& Z,
                            const Tensor& log_nu, const Tensor& u, const Tensor& v,
                            const Tensor& dv);
void sinkhorn_rows_backward(const Tensor& dZ, const Tensor& dv_prev, const Tensor& Z,
                            const Tensor& log_mu, const Tensor& u, const Tensor& v_prev,
                            const Tensor& du);

}  // namespace sp::cuda

// CUDA fused attention with the contracts of the sp::cpu kernels in tensor/ops/attention.h,
// for f32, f64, f16 and bf16 storage (f32 accumulation; f64 for f64). Head dims d, dv
// up to 256.
#pragma once

#include "tensor/ops/attention.h"

namespace sp::cuda {

void attention_forward(const Tensor& out, const Tensor& lse, const Tensor& q, const Tensor& k,
                       const Tensor& v, const Tensor& mask, double scale);
void attention_backward(const Tensor& grad_q, const Tensor& grad_k, const Tensor& grad_v,
                        const Tensor& grad_out, const Tensor& q, const Tensor& k, const Tensor& v,
                        const Tensor& out, const Tensor& lse, const Tensor& mask, double scale);

}  // namespace sp::cuda

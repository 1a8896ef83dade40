// Fused CUDA kernels of the dense descriptor loss (models/superpoint_loss.cpp): the
// correspondence test, the hinge and the mask in one pass over a chunk of dot products,
// instead of a dozen elementwise launches. The tensor-op code in superpoint_loss.cpp is
// the CPU reference they are tested against (SuperPointTrainGpu, SuperPointLossGpu).
#pragma once

#include "tensor/tensor.h"

namespace sp::models::detail {

struct HingeParams {
  double thr2, lambda_d, positive_margin, negative_margin;
};

// dot [B, n, N], warped [B, n, 2] (A's cell centres of the chunk in B's frame), centers
// [N, 2], mask [B, 1, N], all contiguous CUDA tensors of one floating dtype. Writes
// row_sums [B, n] = sum_j mask_j * l(dot_ij).
void descriptor_hinge_rows_cuda(const Tensor& dot, const Tensor& warped, const Tensor& centers,
                                const Tensor& mask, const HingeParams& p, const Tensor& row_sums);
// Overwrites dot with factor * mask_j * dl/d(dot_ij); factor is a one-element tensor.
void descriptor_hinge_grad_cuda(const Tensor& dot, const Tensor& warped, const Tensor& centers,
                                const Tensor& mask, const HingeParams& p, const Tensor& factor);

}  // namespace sp::models::detail

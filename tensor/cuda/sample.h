// CUDA grid_sample and interpolate kernels with the contracts of the sp::cpu kernels in
// tensor/ops/sample.h (contiguous operands, outputs preallocated, grad outputs
// zero-filled). Backward kernels accumulate with atomicAdd, so float sums may differ
// from the CPU in the last bits.
#pragma once

#include "tensor/ops/sample.h"

namespace sp::cuda {

void grid_sample(const Tensor& out, const Tensor& input, const Tensor& grid, bool align_corners);
void grid_sample_backward(const Tensor& grad_input, const Tensor& grad_grid,
                          const Tensor& grad_output, const Tensor& input, const Tensor& grid,
                          bool align_corners);
void interpolate(const Tensor& out, const Tensor& input, InterpMode mode, bool align_corners,
                 double scale_h, double scale_w);
void interpolate_bilinear_backward(const Tensor& grad_input, const Tensor& grad_output,
                                   bool align_corners, double scale_h, double scale_w);
void homography_grid(const Tensor& out, const Tensor& homographies, bool normalized);

}  // namespace sp::cuda

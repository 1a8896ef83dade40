// Sampling: grid_sample (bilinear, zero padding) and interpolate (nearest, bilinear) on
// NCHW images, with the backward kernels autograd needs. Match
// torch.nn.functional.grid_sample / interpolate (PyTorch 1.13 CPU semantics).
#pragma once

#include "tensor/tensor.h"

namespace sp {

// input [N, C, Hin, Win], grid [N, Hout, Wout, 2] holding (x, y) in [-1, 1] (outside is
// allowed: zero padding) -> [N, C, Hout, Wout]. align_corners=true maps -1 and 1 to the
// centres of the corner pixels, false to their outer edges. f32 or f64, same dtype.
Tensor grid_sample(const Tensor& input, const Tensor& grid, bool align_corners);
// d(loss)/d(input) given d(loss)/d(output) [N, C, Hout, Wout]; input_shape is [N, C, Hin, Win].
Tensor grid_sample_backward_input(const Tensor& grad_output, const Tensor& grid,
                                  const Shape& input_shape, bool align_corners);
// d(loss)/d(grid) [N, Hout, Wout, 2].
Tensor grid_sample_backward_grid(const Tensor& grad_output, const Tensor& input, const Tensor& grid,
                                 bool align_corners);

enum class InterpMode { Nearest, Bilinear };
// input [N, C, H, W] -> [N, C, out_h, out_w]. align_corners only applies to Bilinear
// (PyTorch rejects it for Nearest; here it must be false for Nearest).
Tensor interpolate(const Tensor& input, int64_t out_h, int64_t out_w, InterpMode mode,
                   bool align_corners = false);
// With scale factors (PyTorch scale_factor, recompute_scale_factor=None): the output
// size is floor(in * scale) and the source coordinate uses 1 / scale.
Tensor interpolate_scaled(const Tensor& input, double scale_h, double scale_w, InterpMode mode,
                          bool align_corners = false);
// Backward of bilinear interpolate: grad_output [N, C, out_h, out_w] -> [N, C, H, W].
// scale_h/scale_w are the scale factors of the forward call, 0 when it used a size.
Tensor interpolate_bilinear_backward(const Tensor& grad_output, const Shape& input_shape,
                                     bool align_corners, double scale_h = 0.0,
                                     double scale_w = 0.0);

// Where each output pixel of a homography warp samples its source: for homographies
// [B, 3, 3] (output pixel -> source pixel, f32 or f64) returns [B, height, width, 2] with
// (u / w, v / w) for (u, v, w) = H (x, y, 1), computed in f64 in one pass, stored as
// `dtype`. normalized: as grid_sample's align_corners=true coordinates
// (2 x / (width - 1) - 1), else in pixels. Replaces a matmul over the pixel grid, a
// division, a permuted copy and the normalisation (data/device_warp.h).
Tensor homography_grid(const Tensor& homographies, int64_t height, int64_t width, bool normalized,
                       DType dtype);

namespace cpu {
// Contiguous operands; outputs preallocated (grad outputs zero-filled).
void grid_sample(const Tensor& out, const Tensor& input, const Tensor& grid, bool align_corners);
void grid_sample_backward(const Tensor& grad_input, const Tensor& grad_grid,
                          const Tensor& grad_output, const Tensor& input, const Tensor& grid,
                          bool align_corners);
void interpolate(const Tensor& out, const Tensor& input, InterpMode mode, bool align_corners,
                 double scale_h, double scale_w);
void interpolate_bilinear_backward(const Tensor& grad_input, const Tensor& grad_output,
                                   bool align_corners, double scale_h, double scale_w);
// out [B, H, W, 2] contiguous, homographies [B, 3, 3] contiguous f64.
void homography_grid(const Tensor& out, const Tensor& homographies, bool normalized);
}  // namespace cpu

}  // namespace sp

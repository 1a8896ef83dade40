// 2-D convolution with PyTorch semantics (torch.nn.functional.conv2d): NCHW input,
// weight [out, in/groups, kh, kw], optional bias [out]; stride, padding, dilation,
// groups. The backward kernels are separate public functions (autograd composes them).
#pragma once

#include <array>
#include <cstdint>

#include "tensor/tensor.h"

namespace sp {

struct Conv2dArgs {
  std::array<int64_t, 2> stride{1, 1};
  std::array<int64_t, 2> padding{0, 0};
  std::array<int64_t, 2> dilation{1, 1};
  int64_t groups = 1;
};

// input [N, C, H, W] (or unbatched [C, H, W]) -> [N, out, Ho, Wo]. bias may be undefined.
Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias = {},
              const Conv2dArgs& args = {});

// Gradient of conv2d w.r.t. its input (of shape input_shape, 4-D), weight and bias.
Tensor conv2d_backward_input(const Tensor& grad_out, const Shape& input_shape, const Tensor& weight,
                             const Conv2dArgs& args = {});
Tensor conv2d_backward_weight(const Tensor& grad_out, const Tensor& input,
                              const Shape& weight_shape, const Conv2dArgs& args = {});
Tensor conv2d_backward_bias(const Tensor& grad_out);  // sum over N, H, W -> [out]

// Output size of one spatial dim (PyTorch's formula).
int64_t conv_output_size(int64_t in, int64_t kernel, int64_t stride, int64_t padding,
                         int64_t dilation);

namespace cpu {
// All tensors contiguous, shapes already checked; bias may be undefined.
void conv2d_forward(const Tensor& out, const Tensor& input, const Tensor& weight,
                    const Tensor& bias, const Conv2dArgs& args);
void conv2d_backward_input(const Tensor& grad_in, const Tensor& grad_out, const Tensor& weight,
                           const Conv2dArgs& args);
void conv2d_backward_weight(const Tensor& grad_weight, const Tensor& grad_out, const Tensor& input,
                            const Conv2dArgs& args);
void conv2d_backward_bias(const Tensor& grad_bias, const Tensor& grad_out);
}  // namespace cpu

}  // namespace sp

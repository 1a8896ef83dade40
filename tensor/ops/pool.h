// 2-D pooling with PyTorch semantics: max_pool2d (values and flat in-plane indices, like
// return_indices=True) and avg_pool2d (count_include_pad, ceil_mode), with backward
// kernels as separate functions. Input [N, C, H, W] or unbatched [C, H, W].
#pragma once

#include <array>
#include <cstdint>

#include "tensor/tensor.h"

namespace sp {

struct Pool2dArgs {
  std::array<int64_t, 2> kernel{2, 2};
  std::array<int64_t, 2> stride{0, 0};  // 0 means "the kernel size" (PyTorch's default)
  std::array<int64_t, 2> padding{0, 0};
  std::array<int64_t, 2> dilation{1, 1};  // max pooling only
  bool ceil_mode = false;
  bool count_include_pad = true;  // avg pooling only
};

struct MaxPool2dResult {
  Tensor values;
  Tensor indices;  // i64, index ih * W + iw of the maximum within its input plane
};

// with_indices = false leaves indices undefined (inference: no i64 map is written).
MaxPool2dResult max_pool2d(const Tensor& input, const Pool2dArgs& args, bool with_indices = true);
// Scatters grad_out into a zero tensor of input_shape at indices (from max_pool2d).
Tensor max_pool2d_backward(const Tensor& grad_out, const Tensor& indices, const Shape& input_shape);

Tensor avg_pool2d(const Tensor& input, const Pool2dArgs& args);
Tensor avg_pool2d_backward(const Tensor& grad_out, const Shape& input_shape,
                           const Pool2dArgs& args);

// PyTorch's pooling output size (ceil_mode windows must start inside the padded input).
int64_t pool_output_size(int64_t in, int64_t kernel, int64_t stride, int64_t padding,
                         int64_t dilation, bool ceil_mode);

namespace cpu {
// Geometry of one pooling call, resolved (stride filled in) and checked.
struct PoolGeometry {
  int64_t planes, height, width, out_h, out_w;
  int64_t kh, kw, sh, sw, ph, pw, dh, dw;
  bool count_include_pad;
};
// Contiguous tensors viewed as [planes, H, W] / [planes, out_h, out_w].
// indices may be undefined (not written).
void max_pool2d(const Tensor& values, const Tensor& indices, const Tensor& input,
                const PoolGeometry& g);
void max_pool2d_backward(const Tensor& grad_in, const Tensor& grad_out, const Tensor& indices,
                         int64_t planes);
void avg_pool2d(const Tensor& out, const Tensor& input, const PoolGeometry& g);
void avg_pool2d_backward(const Tensor& grad_in, const Tensor& grad_out, const PoolGeometry& g);
}  // namespace cpu

}  // namespace sp

// Rotary position encoding over adjacent pairs of the last dim (LightGlue's
// apply_cached_rotary_emb: t * freqs[0] + rotate_half(t) * freqs[1]):
//   rotate_half(x)[2k] = -x[2k + 1],  rotate_half(x)[2k + 1] = x[2k]
//   apply_rotary(x, cos, sin) = x * cos + rotate_half(x) * sin
// x [*, D] with D even; cos and sin broadcast to x's shape (LightGlue: [B, 1, N, D] for
// x [B, H, N, D]) and are read in place, never expanded in memory. Floating dtypes
// (f16/bf16 compute in f32); results are fresh contiguous tensors of x's dtype.
#pragma once

#include "tensor/tensor.h"

namespace sp {

Tensor apply_rotary(const Tensor& x, const Tensor& cos, const Tensor& sin);
// The gradient with respect to x: cos * g + rotate_half^T(sin * g), where
// rotate_half^T(z)[2k] = z[2k + 1], rotate_half^T(z)[2k + 1] = -z[2k].
Tensor apply_rotary_backward(const Tensor& grad, const Tensor& cos, const Tensor& sin);
Tensor rotate_half(const Tensor& x);

// ---- kernels: out contiguous like x; x, cos, sin have out's shape (broadcast views,
// any strides). transpose: the backward form.
namespace cpu {
void rotary(const Tensor& out, const Tensor& x, const Tensor& cos, const Tensor& sin,
            bool transpose);
}  // namespace cpu

}  // namespace sp

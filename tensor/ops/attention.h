// Fused scaled dot-product attention (torch.nn.functional.scaled_dot_product_attention
// with a boolean attn_mask), forward and backward, without an N x M matrix in memory:
//   out[..., i, :] = sum_j softmax_j(scale q_i . k_j  over the j with mask[..., i, j]) v_j
// Shapes: q [*, N, d], k [*, M, d], v [*, M, dv] with the same leading dims (LightGlue
// and SuperGlue use [B, H, N, d]); out [*, N, dv]. mask: bool, broadcastable to
// [*, N, M], true = take part (a key-padding mask is [B, 1, 1, M]). scale defaults to
// 1 / sqrt(d). A query row with no allowed key (fully masked, or M = 0) gives zeros, not
// NaN, and gradient zero. Floating dtypes: f32, f64; f16/bf16 compute in f32 (on the CPU
// through f32 copies; CUDA reads them directly). Inputs may be strided views whose last
// dim is contiguous (others are copied first).
#pragma once

#include <optional>

#include "tensor/tensor.h"

namespace sp {

struct AttentionResult {
  Tensor output;  // [*, N, dv], q's dtype
  Tensor
      logsumexp;  // [*, N] f32 (f64 for f64): log sum_j exp(scale q_i . k_j); -inf for empty rows
};
struct AttentionGrads {
  Tensor grad_q, grad_k, grad_v;
};

AttentionResult scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v,
                                             const Tensor& mask = {},
                                             std::optional<double> scale = {});

// Gradients from the forward's output and logsumexp (recomputing the probabilities tile by
// tile). grad_out is like output.
AttentionGrads scaled_dot_product_attention_backward(const Tensor& grad_out, const Tensor& q,
                                                     const Tensor& k, const Tensor& v,
                                                     const Tensor& output, const Tensor& logsumexp,
                                                     const Tensor& mask = {},
                                                     std::optional<double> scale = {});

// ---- kernels. Every tensor is [*, rows, cols] with the same leading dims (q, k, v,
// grad_out: unit stride along cols, any other strides; mask: a bool [*, N, M] view whose
// strides may be 0, or undefined); out [*, N, dv], lse [*, N] and grad_q/k/v are
// contiguous and written whole.
namespace cpu {
void attention_forward(const Tensor& out, const Tensor& lse, const Tensor& q, const Tensor& k,
                       const Tensor& v, const Tensor& mask, double scale);
void attention_backward(const Tensor& grad_q, const Tensor& grad_k, const Tensor& grad_v,
                        const Tensor& grad_out, const Tensor& q, const Tensor& k, const Tensor& v,
                        const Tensor& out, const Tensor& lse, const Tensor& mask, double scale);
}  // namespace cpu

}  // namespace sp

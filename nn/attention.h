// Attention layers over the fused sp::ag::scaled_dot_product_attention.
//   MultiHeadAttention: torch.nn.MultiheadAttention's parameters and semantics:
//     in_proj_weight [3E, E] and in_proj_bias [3E] (q, k, v stacked; separate
//     q_proj_weight [E, E], k_proj_weight [E, kdim], v_proj_weight [E, vdim] when kdim or
//     vdim differ from E), out_proj.weight [E, E], out_proj.bias [E]; xavier-uniform
//     projections, zero biases. Heads split the embedding head-major (channel = h * E/H
//     + j); scale 1 / sqrt(E / H). Inputs [L, B, E] (or [B, L, E] with batch_first;
//     unbatched [L, E]). Masks are PyTorch's: key_padding_mask [B, S] and attn_mask
//     [L, S] or [B * H, L, S], bool, true = NOT allowed. Returns the attention output
//     only (need_weights = False); dropout is not supported.
//   LearnableFourierEncoding: LightGlue's positional encoding: a bias-free Linear
//     Wr (M -> F/2, weight ~ N(0, gamma^-2)), projected = Wr x; returns cos and sin of the
//     projection with each value repeated twice ([c0, c0, c1, c1, ...]), [*, N, F] each,
//     the rotary encoding apply_rotary_emb consumes.
#pragma once

#include <utility>

#include "nn/containers.h"
#include "nn/linear.h"
#include "tensor/ops/random.h"

namespace sp::nn {

struct MultiHeadAttentionOptions {
  int64_t embed_dim = 0, num_heads = 1;
  bool bias = true;
  int64_t kdim = 0, vdim = 0;  // 0: embed_dim
  bool batch_first = false;
};

class MultiHeadAttention : public Module {
 public:
  explicit MultiHeadAttention(const MultiHeadAttentionOptions& options,
                              Generator& gen = default_generator());
  MultiHeadAttention(int64_t embed_dim, int64_t num_heads, Generator& gen = default_generator())
      : MultiHeadAttention(MultiHeadAttentionOptions{embed_dim, num_heads}, gen) {}
  ag::Var forward(const ag::Var& query, const ag::Var& key, const ag::Var& value,
                  const Tensor& key_padding_mask = {}, const Tensor& attn_mask = {});
  const MultiHeadAttentionOptions& options() const { return options_; }

 private:
  MultiHeadAttentionOptions options_;
  bool packed_;  // q, k, v projections stacked in in_proj_weight
  std::shared_ptr<Linear> out_proj_;
};

class LearnableFourierEncoding : public Module {
 public:
  LearnableFourierEncoding(int64_t in_dims, int64_t out_dims, double gamma = 1.0,
                           Generator& gen = default_generator());
  // x [*, N, M] -> (cos, sin), each [*, N, F].
  std::pair<ag::Var, ag::Var> forward(const ag::Var& x);

 private:
  int64_t in_dims_, out_dims_;
  std::shared_ptr<Linear> wr_;
};

}  // namespace sp::nn

// The blocks of LightGlue (matchers.md 3.1 and its Corrections), each an nn::Module whose
// parameter names are those of the reference (transformers.{l}.self_attn.Wqkv, ...), so
// the official state dict maps by name. Every forward is built from autograd Vars: the
// inference path and a later training path share them.
//
//   SelfBlock      Wqkv [3d, d] viewed as (H, head_dim, 3): output channel h*3*hd + j*3 + c
//                  (c: 0 q, 1 k, 2 v); rotary encoding on q and k; fused attention
//                  (scale 1/sqrt(hd)); heads merged head-major -> out_proj; then
//                  x + ffn([x | message]), ffn = Linear(2d, 2d), LayerNorm(2d), GELU (exact),
//                  Linear(2d, d) (children ffn.0, ffn.1, ffn.3).
//   CrossBlock     to_qk shared by queries and keys, to_v, to_out; one similarity per head
//                  S = qk0 qk1^T / sqrt(hd), softmax over each axis (two fused attentions
//                  over the same S, so no N x M matrix is kept); the same ffn update.
//   MatchAssignment  final_proj (d -> d) on both sets, scaled by d^-1/4 each; matchability
//                  (d -> 1); ag::sigmoid_log_double_softmax -> [B, M + 1, N + 1].
//   TokenConfidence  sigmoid(token.0(x.detach())) per point.
#pragma once

#include <memory>
#include <utility>

#include "nn/activation.h"
#include "nn/containers.h"
#include "nn/linear.h"
#include "nn/normalization.h"

namespace sp::models {

// Masks of the padded (batched) path: bool, true = attend, broadcastable to [B, H, N, M].
// Undefined: every point is real.
struct LightGlueMasks {
  Tensor self0, self1, cross01, cross10;
};

class LightGlueSelfBlock : public nn::Module {
 public:
  // explicit_softmax: softmax(q k^T) v with the N x N matrix (more accurate in f32, slower)
  // instead of the fused attention kernel.
  LightGlueSelfBlock(int64_t dim, int64_t heads, bool explicit_softmax = false);
  // x [B, N, d]; cos/sin [B, 1, N, hd] (the rotary encoding); mask [B, 1, N, N] or undefined.
  ag::Var forward(const ag::Var& x, const ag::Var& cos, const ag::Var& sin, const Tensor& mask);

 private:
  int64_t dim_, heads_;
  bool explicit_;
  std::shared_ptr<nn::Linear> wqkv_, out_proj_;
  std::shared_ptr<nn::Sequential> ffn_;
};

class LightGlueCrossBlock : public nn::Module {
 public:
  LightGlueCrossBlock(int64_t dim, int64_t heads);
  std::pair<ag::Var, ag::Var> forward(const ag::Var& x0, const ag::Var& x1, const Tensor& mask01,
                                      const Tensor& mask10);

 private:
  int64_t dim_, heads_;
  std::shared_ptr<nn::Linear> to_qk_, to_v_, to_out_;
  std::shared_ptr<nn::Sequential> ffn_;
};

class LightGlueTransformerLayer : public nn::Module {
 public:
  LightGlueTransformerLayer(int64_t dim, int64_t heads, bool explicit_softmax = false);
  // One self block per image (shared weights), then the cross block.
  std::pair<ag::Var, ag::Var> forward(const ag::Var& x0, const ag::Var& x1,
                                      const std::pair<ag::Var, ag::Var>& enc0,
                                      const std::pair<ag::Var, ag::Var>& enc1,
                                      const LightGlueMasks& masks);

 private:
  std::shared_ptr<LightGlueSelfBlock> self_attn_;
  std::shared_ptr<LightGlueCrossBlock> cross_attn_;
};

class LightGlueMatchAssignment : public nn::Module {
 public:
  explicit LightGlueMatchAssignment(int64_t dim);
  // Log assignment [B, M + 1, N + 1]. valid (bool [B, M, N], optional): pairs that are
  // not real take no probability mass (padding).
  ag::Var forward(const ag::Var& x0, const ag::Var& x1, const Tensor& valid = {});
  // sigmoid(matchability(x)) [B, N].
  ag::Var matchability(const ag::Var& x);

 private:
  int64_t dim_;
  std::shared_ptr<nn::Linear> matchability_, final_proj_;
};

class LightGlueTokenConfidence : public nn::Module {
 public:
  explicit LightGlueTokenConfidence(int64_t dim);
  // sigmoid(token.0(x.detach())) [B, N].
  ag::Var forward(const ag::Var& x);
  // The logit (before the sigmoid), for the confidence loss.
  ag::Var logits(const ag::Var& x);

 private:
  std::shared_ptr<nn::Sequential> token_;
};

}  // namespace sp::models

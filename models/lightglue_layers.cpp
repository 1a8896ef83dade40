#include "models/lightglue_layers.h"

#include <cmath>

#include "autograd/functions/activation.h"
#include "autograd/functions/assignment.h"
#include "autograd/functions/attention.h"
#include "autograd/functions/elementwise.h"
#include "autograd/functions/matmul.h"
#include "autograd/functions/movement.h"
#include "autograd/functions/rotary.h"
#include "autograd/functions/softmax.h"
#include "autograd/functions/views.h"
#include "autograd/operators.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/elementwise.h"

namespace sp::models {
namespace {

std::shared_ptr<nn::Sequential> make_ffn(int64_t dim) {
  auto ffn = std::make_shared<nn::Sequential>();
  ffn->push_back(std::make_shared<nn::Linear>(2 * dim, 2 * dim));
  ffn->push_back(std::make_shared<nn::LayerNorm>(std::vector<int64_t>{2 * dim}, 1e-5, true));
  ffn->push_back(std::make_shared<nn::GELU>());
  ffn->push_back(std::make_shared<nn::Linear>(2 * dim, dim));
  return ffn;
}

// [B, N, H * hd] -> [B, H, N, hd] (a view).
ag::Var split_heads(const ag::Var& x, int64_t heads) {
  const int64_t B = x.size(0), N = x.size(1), hd = x.size(2) / heads;
  return ag::permute(ag::reshape(x, {B, N, heads, hd}), {0, 2, 1, 3});
}

// [B, H, N, hd] -> [B, N, H * hd], head-major channels.
ag::Var merge_heads(const ag::Var& x) {
  const int64_t B = x.size(0), H = x.size(1), N = x.size(2), hd = x.size(3);
  return ag::reshape(ag::permute(x, {0, 2, 1, 3}), {B, N, H * hd});
}

}  // namespace

LightGlueSelfBlock::LightGlueSelfBlock(int64_t dim, int64_t heads, bool explicit_softmax)
    : nn::Module("LightGlueSelfBlock"), dim_(dim), heads_(heads), explicit_(explicit_softmax) {
  SP_CHECK(dim > 0 && heads > 0 && dim % heads == 0 && (dim / heads) % 2 == 0,
           "lightglue: expected descriptor_dim divisible by num_heads with an even head size, "
           "got ",
           dim, " and ", heads);
  wqkv_ = register_module("Wqkv", std::make_shared<nn::Linear>(dim, 3 * dim));
  out_proj_ = register_module("out_proj", std::make_shared<nn::Linear>(dim, dim));
  ffn_ = register_module("ffn", make_ffn(dim));
}

ag::Var LightGlueSelfBlock::forward(const ag::Var& x, const ag::Var& cos, const ag::Var& sin,
                                    const Tensor& mask) {
  const int64_t B = x.size(0), N = x.size(1), hd = dim_ / heads_;
  // Wqkv's output is (head, j, {q, k, v}): [B, N, H, hd, 3] -> [B, H, N, hd, 3].
  const ag::Var qkv = ag::permute(ag::reshape((*wqkv_)(x), {B, N, heads_, hd, 3}), {0, 2, 1, 3, 4});
  const ag::Var q = ag::apply_rotary(ag::select(qkv, 4, 0), cos, sin);
  const ag::Var k = ag::apply_rotary(ag::select(qkv, 4, 1), cos, sin);
  const ag::Var v = ag::contiguous(ag::select(qkv, 4, 2));
  ag::Var context;
  if (explicit_) {
    // softmax(q k^T / sqrt(hd)) v with the N x N matrix in memory: closer to a float64
    // evaluation than the fused kernel's f32 online softmax (docs/LIGHTGLUE.md).
    ag::Var s = ag::matmul(q, ag::transpose(k, 2, 3)) * Scalar(1.0 / std::sqrt(double(hd)));
    if (mask.defined()) s = ag::where(mask, s, ag::Var(full({}, -INFINITY, s.dtype(), s.device())));
    ag::Var p = ag::softmax(s, -1);
    if (mask.defined()) p = ag::where(mask, p, ag::Var(zeros({}, p.dtype(), p.device())));
    context = ag::matmul(p, v);
  } else {
    context = ag::scaled_dot_product_attention(q, k, v, mask);
  }
  const ag::Var message = (*out_proj_)(merge_heads(context));
  return x + (*ffn_)(ag::cat({x, message}, -1));
}

LightGlueCrossBlock::LightGlueCrossBlock(int64_t dim, int64_t heads)
    : nn::Module("LightGlueCrossBlock"), dim_(dim), heads_(heads) {
  to_qk_ = register_module("to_qk", std::make_shared<nn::Linear>(dim, dim));
  to_v_ = register_module("to_v", std::make_shared<nn::Linear>(dim, dim));
  to_out_ = register_module("to_out", std::make_shared<nn::Linear>(dim, dim));
  ffn_ = register_module("ffn", make_ffn(dim));
}

std::pair<ag::Var, ag::Var> LightGlueCrossBlock::forward(const ag::Var& x0, const ag::Var& x1,
                                                         const Tensor& mask01,
                                                         const Tensor& mask10) {
  const ag::Var qk0 = split_heads((*to_qk_)(x0), heads_);
  const ag::Var qk1 = split_heads((*to_qk_)(x1), heads_);
  const ag::Var v0 = split_heads((*to_v_)(x0), heads_);
  const ag::Var v1 = split_heads((*to_v_)(x1), heads_);
  // The same similarity S = qk0 qk1^T / sqrt(hd) normalised along each axis.
  const ag::Var m0 = ag::scaled_dot_product_attention(qk0, qk1, v1, mask01);
  const ag::Var m1 = ag::scaled_dot_product_attention(qk1, qk0, v0, mask10);
  const ag::Var y0 = x0 + (*ffn_)(ag::cat({x0, (*to_out_)(merge_heads(m0))}, -1));
  const ag::Var y1 = x1 + (*ffn_)(ag::cat({x1, (*to_out_)(merge_heads(m1))}, -1));
  return {y0, y1};
}

LightGlueTransformerLayer::LightGlueTransformerLayer(int64_t dim, int64_t heads,
                                                     bool explicit_softmax)
    : nn::Module("LightGlueTransformerLayer") {
  self_attn_ = register_module("self_attn",
                               std::make_shared<LightGlueSelfBlock>(dim, heads, explicit_softmax));
  cross_attn_ = register_module("cross_attn", std::make_shared<LightGlueCrossBlock>(dim, heads));
}

std::pair<ag::Var, ag::Var> LightGlueTransformerLayer::forward(
    const ag::Var& x0, const ag::Var& x1, const std::pair<ag::Var, ag::Var>& enc0,
    const std::pair<ag::Var, ag::Var>& enc1, const LightGlueMasks& masks) {
  const ag::Var y0 = self_attn_->forward(x0, enc0.first, enc0.second, masks.self0);
  const ag::Var y1 = self_attn_->forward(x1, enc1.first, enc1.second, masks.self1);
  return cross_attn_->forward(y0, y1, masks.cross01, masks.cross10);
}

LightGlueMatchAssignment::LightGlueMatchAssignment(int64_t dim)
    : nn::Module("LightGlueMatchAssignment"), dim_(dim) {
  matchability_ = register_module("matchability", std::make_shared<nn::Linear>(dim, 1));
  final_proj_ = register_module("final_proj", std::make_shared<nn::Linear>(dim, dim));
}

ag::Var LightGlueMatchAssignment::forward(const ag::Var& x0, const ag::Var& x1,
                                          const Tensor& valid) {
  const double s = 1.0 / std::pow(double(dim_), 0.25);
  const ag::Var f0 = (*final_proj_)(x0)*Scalar(s);
  const ag::Var f1 = (*final_proj_)(x1)*Scalar(s);
  ag::Var sim = ag::matmul(f0, ag::transpose(f1, 1, 2));  // [B, M, N]
  // Padding: a similarity whose exp vanishes next to any real one (f16-safe).
  if (valid.defined())
    sim = ag::where(valid, sim, ag::Var(full({}, -1e4, sim.dtype(), sim.device())));
  return ag::sigmoid_log_double_softmax(sim, (*matchability_)(x0), (*matchability_)(x1));
}

ag::Var LightGlueMatchAssignment::matchability(const ag::Var& x) {
  return ag::squeeze(ag::sigmoid((*matchability_)(x)), -1);
}

LightGlueTokenConfidence::LightGlueTokenConfidence(int64_t dim)
    : nn::Module("LightGlueTokenConfidence") {
  token_ = register_module("token", std::make_shared<nn::Sequential>());
  token_->push_back(std::make_shared<nn::Linear>(dim, 1));
}

ag::Var LightGlueTokenConfidence::logits(const ag::Var& x) {
  return ag::squeeze((*token_)(x.detach()), -1);
}

ag::Var LightGlueTokenConfidence::forward(const ag::Var& x) {
  return ag::sigmoid(logits(x));
}

}  // namespace sp::models

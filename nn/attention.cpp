#include "nn/attention.h"

#include "autograd/functions/attention.h"
#include "autograd/functions/elementwise.h"
#include "autograd/functions/matmul.h"
#include "autograd/functions/views.h"
#include "nn/init.h"
#include "nn/linear.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/elementwise.h"

namespace sp::nn {
namespace {

Shape shape_or_empty(const ag::Var& v) {
  return v.defined() ? v.shape() : Shape{};
}

}  // namespace

MultiHeadAttention::MultiHeadAttention(const MultiHeadAttentionOptions& options, Generator& gen)
    : Module("MultiHeadAttention"), options_(options) {
  const int64_t E = options.embed_dim, H = options.num_heads;
  SP_CHECK(E > 0 && H > 0 && E % H == 0,
           "MultiHeadAttention: expected embed_dim divisible by num_heads, got ", E, " and ", H);
  if (options_.kdim == 0) options_.kdim = E;
  if (options_.vdim == 0) options_.vdim = E;
  packed_ = options_.kdim == E && options_.vdim == E;
  if (packed_) {
    Tensor w = empty({3 * E, E});
    init::xavier_uniform_(w, 1.0, gen);
    register_parameter("in_proj_weight", w);
  } else {
    for (auto [name, in] : {std::pair{"q_proj_weight", E},
                            {"k_proj_weight", options_.kdim},
                            {"v_proj_weight", options_.vdim}}) {
      Tensor w = empty({E, in});
      init::xavier_uniform_(w, 1.0, gen);
      register_parameter(name, w);
    }
  }
  if (options.bias) register_parameter("in_proj_bias", zeros({3 * E}));
  out_proj_ = register_module("out_proj", std::make_shared<Linear>(E, E, options.bias, gen));
  if (options.bias) {
    Tensor b = out_proj_->param("bias").data();
    b.zero_();
  }
}

ag::Var MultiHeadAttention::forward(const ag::Var& query, const ag::Var& key, const ag::Var& value,
                                    const Tensor& key_padding_mask, const Tensor& attn_mask) {
  const int64_t E = options_.embed_dim, H = options_.num_heads, hd = E / H;
  const bool bf = options_.batch_first;
  SP_CHECK(query.defined() && key.defined() && value.defined() &&
               (query.dim() == 3 || query.dim() == 2) && key.dim() == query.dim() &&
               value.dim() == query.dim(),
           "MultiHeadAttention: expected query, key and value ", bf ? "[B, L, E]" : "[L, B, E]",
           " (or unbatched [L, E]) of one rank, got ", shape_or_empty(query), ", ",
           shape_or_empty(key), " and ", shape_or_empty(value));
  const bool batched = query.dim() == 3;
  // Everything in the batched layout: [L, B, E] (seq-first) or [B, L, E].
  const ag::Var q_in = batched ? query : ag::unsqueeze(query, bf ? 0 : 1);
  const ag::Var k_in = batched ? key : ag::unsqueeze(key, bf ? 0 : 1);
  const ag::Var v_in = batched ? value : ag::unsqueeze(value, bf ? 0 : 1);
  const int sd = bf ? 1 : 0, bd = bf ? 0 : 1;  // sequence and batch dims
  const int64_t L = q_in.size(sd), B = q_in.size(bd), S = k_in.size(sd);
  SP_CHECK(q_in.size(2) == E && k_in.size(2) == options_.kdim && v_in.size(2) == options_.vdim &&
               k_in.size(bd) == B && v_in.size(bd) == B && v_in.size(sd) == S,
           "MultiHeadAttention: expected query [", bf ? "B, L, " : "L, B, ", E, "], key [",
           bf ? "B, S, " : "S, B, ", options_.kdim, "] and value [", bf ? "B, S, " : "S, B, ",
           options_.vdim, "], got ", query.shape(), ", ", key.shape(), " and ", value.shape());

  // Projections in the input's layout (one GEMM each, no copy), then a strided
  // [B, H, seq, hd] view of the result for the fused attention.
  auto project = [&](const ag::Var& x, int64_t i, const char* separate, int64_t seq) {
    ag::Var w = packed_ ? ag::narrow(param("in_proj_weight"), 0, i * E, E) : param(separate);
    ag::Var b = options_.bias ? ag::narrow(param("in_proj_bias"), 0, i * E, E) : ag::Var();
    ag::Var y = ag::reshape(ag::linear(x, w, b), bf ? Shape{B, seq, H, hd} : Shape{seq, B, H, hd});
    return bf ? ag::permute(y, {0, 2, 1, 3}) : ag::permute(y, {1, 2, 0, 3});
  };
  const ag::Var q = project(q_in, 0, "q_proj_weight", L);
  const ag::Var k = project(k_in, 1, "k_proj_weight", S);
  const ag::Var v = project(v_in, 2, "v_proj_weight", S);

  // PyTorch's masks say what is NOT allowed; the fused kernel's what is.
  Tensor allowed;
  if (key_padding_mask.defined()) {
    const Tensor kpm = batched ? key_padding_mask : key_padding_mask.unsqueeze(0);
    SP_CHECK(kpm.dtype() == DType::Bool && kpm.shape() == Shape({B, S}),
             "MultiHeadAttention: expected a bool key_padding_mask [", B, ", ", S, "], got ",
             key_padding_mask.meta());
    allowed = logical_not(kpm).view({B, 1, 1, S});
  }
  if (attn_mask.defined()) {
    SP_CHECK(attn_mask.dtype() == DType::Bool &&
                 (attn_mask.shape() == Shape({L, S}) || attn_mask.shape() == Shape({B * H, L, S})),
             "MultiHeadAttention: expected a bool attn_mask [", L, ", ", S, "] or [", B * H, ", ",
             L, ", ", S, "], got ", attn_mask.meta());
    Tensor a = logical_not(attn_mask).reshape(attn_mask.dim() == 2 ? Shape{1, 1, L, S}
                                                                   : Shape{B, H, L, S});
    allowed = allowed.defined() ? logical_and(allowed, a) : a;
  }
  ag::Var o = ag::scaled_dot_product_attention(q, k, v, allowed);  // [B, H, L, hd]
  o = ag::reshape(bf ? ag::permute(o, {0, 2, 1, 3}) : ag::permute(o, {2, 0, 1, 3}),
                  bf ? Shape{B, L, E} : Shape{L, B, E});
  ag::Var y = (*out_proj_)(o);
  return batched ? y : ag::squeeze(y, bf ? 0 : 1);
}

LearnableFourierEncoding::LearnableFourierEncoding(int64_t in_dims, int64_t out_dims, double gamma,
                                                   Generator& gen)
    : Module("LearnableFourierEncoding"), in_dims_(in_dims), out_dims_(out_dims) {
  SP_CHECK(in_dims > 0 && out_dims > 0 && out_dims % 2 == 0,
           "LearnableFourierEncoding: expected positive dims with an even output, got ", in_dims,
           " -> ", out_dims);
  wr_ = register_module("Wr", std::make_shared<Linear>(in_dims, out_dims / 2, false, gen));
  Tensor w = wr_->param("weight").data();
  init::normal_(w, 0.0, 1.0 / (gamma * gamma), gen);
}

std::pair<ag::Var, ag::Var> LearnableFourierEncoding::forward(const ag::Var& x) {
  SP_CHECK(x.defined() && x.dim() >= 2 && x.size(-1) == in_dims_,
           "LearnableFourierEncoding: expected an input [*, N, ", in_dims_, "], got ",
           shape_or_empty(x));
  const ag::Var projected = (*wr_)(x);  // [*, N, F / 2]
  // [c0, c0, c1, c1, ...]: each value twice, then a broadcast dim for the heads.
  auto twice = [&](const ag::Var& t) {
    Shape pairs = t.shape();
    pairs.push_back(2);
    Shape out = t.shape();
    out[out.rank() - 1] *= 2;
    return ag::unsqueeze(ag::reshape(ag::expand(ag::unsqueeze(t, -1), pairs), out), -3);
  };
  return {twice(ag::cos(projected)), twice(ag::sin(projected))};
}

}  // namespace sp::nn

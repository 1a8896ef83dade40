// MultiHeadAttention against torch.nn.MultiheadAttention (tests/reference/nn_attention.py):
// packed and separate projections, seq-first and batch-first layouts, PyTorch's masks;
// parameter names and shapes; the learnable Fourier encoding; nn::Linear over [B, N, C].
#include "nn/attention.h"

#include <gtest/gtest.h>

#include "autograd/functions/reduce.h"
#include "autograd/operators.h"
#include "helpers/test_helpers.h"
#include "nn/linear.h"
#include "tensor/ops/creation.h"

namespace sp::nn {
namespace {

using test::all_close;

const std::map<std::string, Tensor>& fx() {
  static const auto f = test::load_fixture("nn_attention.h5");
  return f;
}
Tensor get(const std::string& k) {
  return fx().at(k).clone();
}

TensorMap params_of(const std::string& name, const MultiHeadAttention& m) {
  TensorMap state;
  for (const auto& [key, value] : m.state_dict()) state[key] = get(name + "/param/" + key);
  return state;
}

void check_case(const std::string& name, MultiHeadAttention& mha, const Tensor& kpm,
                const Tensor& am) {
  mha.to(DType::F64);
  mha.load_state_dict(params_of(name, mha));
  ag::Var q(get(name + "/q"), true), k(get(name + "/k"), true), v(get(name + "/v"), true);
  ag::Var y = mha.forward(q, k, v, kpm, am);
  EXPECT_TRUE(all_close(y.data(), get(name + "/y"), 1e-12, 1e-12));
  ag::backward(ag::sum(y * ag::Var(get(name + "/g"))));
  EXPECT_TRUE(all_close(q.grad(), get(name + "/gq"), 1e-11, 1e-12));
  EXPECT_TRUE(all_close(k.grad(), get(name + "/gk"), 1e-11, 1e-12));
  EXPECT_TRUE(all_close(v.grad(), get(name + "/gv"), 1e-11, 1e-12));
  for (const auto& [key, p] : mha.named_parameters()) {
    SCOPED_TRACE(key);
    EXPECT_TRUE(all_close(p.grad(), get(name + "/grad/" + key), 1e-11, 1e-12));
  }
}

TEST(NnAttention, MultiHeadAttentionMatchesPyTorch) {
  MultiHeadAttention packed(8, 2);
  std::vector<std::string> names;
  for (const auto& [key, value] : packed.state_dict()) names.push_back(key);
  EXPECT_EQ(names, (std::vector<std::string>{"in_proj_bias", "in_proj_weight", "out_proj.bias",
                                             "out_proj.weight"}));
  EXPECT_TRUE(all_close(packed.param("in_proj_bias").data(), zeros({24}), 0, 0));
  check_case("seq_first", packed, get("seq_first/key_padding_mask"), get("seq_first/attn_mask"));

  MultiHeadAttention separate(
      {.embed_dim = 8, .num_heads = 4, .bias = false, .kdim = 6, .vdim = 4, .batch_first = true});
  EXPECT_EQ(separate.param("k_proj_weight").shape(), (Shape{8, 6}));
  EXPECT_FALSE(separate.has_param("in_proj_bias"));
  check_case("batch_first", separate, Tensor(), Tensor());
}

TEST(NnAttention, UnbatchedInputAndErrors) {
  MultiHeadAttention mha(8, 2);
  mha.to(DType::F64);
  mha.load_state_dict(params_of("seq_first", mha));
  Tensor q = get("seq_first/q"), k = get("seq_first/k"), v = get("seq_first/v");
  ag::Var y =
      mha.forward(ag::Var(q.select(1, 0)), ag::Var(k.select(1, 0)), ag::Var(v.select(1, 0)));
  ag::Var yb = mha.forward(ag::Var(q), ag::Var(k), ag::Var(v));
  EXPECT_TRUE(all_close(y.data(), yb.data().select(1, 0), 1e-12, 1e-12));
  EXPECT_SP_ERROR(mha.forward(ag::Var(q), ag::Var(k), ag::Var(v), zeros({2, 6}, DType::Bool)),
                  "MultiHeadAttention: expected a bool key_padding_mask [2, 7], got bool[2, 6]");
  EXPECT_SP_ERROR(mha.forward(ag::Var(q), ag::Var(k.narrow(2, 0, 4)), ag::Var(v)),
                  "MultiHeadAttention: expected query [L, B, 8], key [S, B, 8] and value [S, B, "
                  "8], got [5, 2, 8], "
                  "[7, 2, 4] and [7, 2, 8]");
  EXPECT_SP_ERROR(MultiHeadAttention(8, 3),
                  "MultiHeadAttention: expected embed_dim divisible by num_heads");
}

TEST(NnAttention, LearnableFourierEncoding) {
  LearnableFourierEncoding enc(2, 8);
  EXPECT_EQ(enc.state_dict().at("Wr.weight").shape(), (Shape{4, 2}));
  enc.to(DType::F64);
  enc.load_state_dict({{"Wr.weight", get("fourier/wr")}});
  auto [c, s] = enc.forward(ag::Var(get("fourier/x")));
  EXPECT_TRUE(all_close(c.data(), get("fourier/cos"), 1e-13, 1e-13));
  EXPECT_TRUE(all_close(s.data(), get("fourier/sin"), 1e-13, 1e-13));
}

TEST(NnAttention, LinearFoldsLeadingDimsWithoutCopies) {
  // A [B, N, C] input gives what one [B * N, C] product gives, gradients included.
  Linear lin(6, 5);
  lin.to(DType::F64);
  Tensor x = test::lcg_uniform({3, 4, 6}, 1, -1, 1, 9),
         g = test::lcg_uniform({3, 4, 5}, 2, -1, 1, 9);
  ag::Var xv(x, true);
  ag::Var y = lin(xv);
  ag::backward(ag::sum(y * ag::Var(g)));
  Tensor w = lin.param("weight").data(), b = lin.param("bias").data();
  Tensor gw = lin.param("weight").grad().clone(), gb = lin.param("bias").grad().clone();
  lin.zero_grad();
  ag::Var x2(x.reshape({12, 6}), true);
  ag::Var y2 = lin(x2);
  ag::backward(ag::sum(y2 * ag::Var(g.reshape({12, 5}))));
  EXPECT_TRUE(all_close(y.data().reshape({12, 5}), y2.data(), 1e-14, 1e-14));
  EXPECT_TRUE(all_close(xv.grad().reshape({12, 6}), x2.grad(), 1e-14, 1e-14));
  EXPECT_TRUE(all_close(gw, lin.param("weight").grad(), 1e-13, 1e-13));
  EXPECT_TRUE(all_close(gb, lin.param("bias").grad(), 1e-13, 1e-13));
  // a strided input (transposed batch and sequence) is handled too
  ag::Var xt(x.transpose(0, 1), true);
  EXPECT_TRUE(all_close(lin(xt).data(), y.data().transpose(0, 1), 1e-14, 1e-14));
}

}  // namespace
}  // namespace sp::nn

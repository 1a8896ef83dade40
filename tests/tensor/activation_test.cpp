// sin, cos, log1p, expm1, softplus, log_sigmoid, gelu (exact and tanh) forward kernels
// and their fused backward kernels, and PReLU, against PyTorch (tests/reference/activation.py).
#include "tensor/ops/activation.h"

#include <gtest/gtest.h>

#include <functional>

#include "helpers/test_helpers.h"
#include "tensor/ops/creation.h"

namespace sp {
namespace {

using test::all_close;

const std::map<std::string, Tensor>& data() {
  static const auto d = test::load_fixture("activation.h5");
  return d;
}
Tensor get(const std::string& k) {
  return data().at(k).clone();
}

struct Case {
  const char* name;
  UnaryOp op;
  std::function<Tensor(const Tensor&)> fn;
  UnaryParams params;
  const char* input = "x";
};

UnaryParams softplus_params(double beta, double threshold) {
  UnaryParams p;
  p.a = beta, p.has_a = true;
  p.b = threshold, p.has_b = true;
  return p;
}

std::vector<Case> cases() {
  return {
      {"sin", UnaryOp::Sin, [](const Tensor& x) { return sin(x); }, {}},
      {"cos", UnaryOp::Cos, [](const Tensor& x) { return cos(x); }, {}},
      {"expm1", UnaryOp::Expm1, [](const Tensor& x) { return expm1(x); }, {}},
      {"log1p", UnaryOp::Log1p, [](const Tensor& x) { return log1p(x); }, {}, "xp"},
      {"softplus", UnaryOp::Softplus, [](const Tensor& x) { return softplus(x); },
       softplus_params(1, 20)},
      {"softplus_b2_t5", UnaryOp::Softplus, [](const Tensor& x) { return softplus(x, 2.0, 5.0); },
       softplus_params(2, 5)},
      {"log_sigmoid", UnaryOp::LogSigmoid, [](const Tensor& x) { return log_sigmoid(x); }, {}},
      {"gelu", UnaryOp::Gelu, [](const Tensor& x) { return gelu(x); }, {}},
      {"gelu_tanh", UnaryOp::GeluTanh, [](const Tensor& x) { return gelu_tanh(x); }, {}},
  };
}

TEST(Activation, ForwardAndBackwardMatchPyTorch) {
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.name);
    Tensor x = get(c.input), g = get("g");
    EXPECT_TRUE(all_close(c.fn(x), get(c.name), 1e-12, 1e-14));
    EXPECT_TRUE(all_close(unary_backward(c.op, g, x, c.params), get(std::string(c.name) + "_grad"),
                          1e-12, 1e-14));
    // f32 against PyTorch's f32 (both compute in f32).
    EXPECT_TRUE(all_close(c.fn(x.to(DType::F32)), get(std::string(c.name) + "_f32"), 1e-5, 1e-6));
    Tensor g32 = unary_backward(c.op, g.to(DType::F32), x.to(DType::F32), c.params);
    EXPECT_TRUE(all_close(g32.to(DType::F64), get(std::string(c.name) + "_grad"), 1e-4, 1e-5));
  }
}

TEST(Activation, NonContiguousSizeZeroAndHalf) {
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.name);
    Tensor x = get(c.input).narrow(0, 0, 48).reshape({6, 8});
    Tensor xt = x.t();  // non-contiguous
    Tensor g = get("g").narrow(0, 0, 48).reshape({8, 6});
    EXPECT_TRUE(all_close(c.fn(xt), c.fn(xt.contiguous()), 0, 0));
    EXPECT_TRUE(all_close(unary_backward(c.op, g.t(), x, c.params),
                          unary_backward(c.op, g.t().contiguous(), x, c.params), 0, 0));
    Tensor empty_in = zeros({0, 3}, DType::F64);
    EXPECT_EQ(c.fn(empty_in).shape(), (Shape{0, 3}));
    EXPECT_EQ(unary_backward(c.op, empty_in, empty_in, c.params).shape(), (Shape{0, 3}));
    // f16/bf16 compute in f32 and store in their own dtype.
    for (DType dt : {DType::F16, DType::BF16}) {
      Tensor xh = x.narrow(0, 0, 3).to(dt);
      Tensor y = c.fn(xh);
      EXPECT_EQ(y.dtype(), dt);
      EXPECT_TRUE(all_close(y.to(DType::F32), c.fn(xh.to(DType::F32)).to(dt).to(DType::F32), 0, 0));
    }
  }
  // Integers promote to f32 like PyTorch's float ops.
  EXPECT_EQ(gelu(full({3}, 2.0, DType::I64)).dtype(), DType::F32);
}

TEST(Activation, PreluMatchesPyTorch) {
  for (const char* name : {"prelu4d", "prelu_shared", "prelu1d", "prelu2d"}) {
    SCOPED_TRACE(name);
    auto at = [&](const char* k) { return get(std::string(name) + "/" + k); };
    Tensor x = at("x"), w = at("w");
    EXPECT_TRUE(all_close(prelu(x, w), at("y"), 1e-14, 1e-14));
    PreluGrads g = prelu_backward(at("gy"), x, w);
    EXPECT_TRUE(all_close(g.grad_input, at("gx"), 1e-14, 1e-14));
    EXPECT_TRUE(all_close(g.grad_weight, at("gw"), 1e-12, 1e-14));
    if (x.dim() >= 2) {  // a non-contiguous input gives the same
      Tensor xt = x.transpose(0, x.dim() - 1).contiguous().transpose(0, x.dim() - 1);
      EXPECT_TRUE(all_close(prelu(xt, w), at("y"), 1e-14, 1e-14));
    }
  }
  Tensor none = zeros({0, 3, 2}, DType::F64);
  EXPECT_EQ(prelu(none, full({3}, 0.25, DType::F64)).shape(), none.shape());
  PreluGrads g0 = prelu_backward(none, none, full({3}, 0.25, DType::F64));
  EXPECT_TRUE(all_close(g0.grad_weight, zeros({3}, DType::F64), 0, 0));
}

TEST(Activation, ErrorsNameShapesAndDtypes) {
  Tensor x = zeros({2, 3, 4});
  EXPECT_SP_ERROR(prelu(x, zeros({4})),
                  "prelu: expected weight of shape [1] or [3] for input [2, 3, 4], got [4]");
  EXPECT_SP_ERROR(prelu(x, zeros({3}, DType::F64)), "prelu: expected weight of dtype f32");
  EXPECT_SP_ERROR(prelu(zeros({3}, DType::I64), zeros({1}, DType::I64)),
                  "prelu: expected input of a floating");
  EXPECT_SP_ERROR(unary_backward(UnaryOp::Gelu, zeros({2, 3}), x),
                  "gelu: expected a gradient like the input");
  EXPECT_SP_ERROR(unary_backward(UnaryOp::Relu, x, x), "unary_backward: expected one of");
  EXPECT_SP_ERROR(softplus(x, 0.0), "softplus: expected a nonzero beta");
}

}  // namespace
}  // namespace sp

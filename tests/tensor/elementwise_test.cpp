#include "tensor/ops/elementwise.h"

#include <gtest/gtest.h>

#include <cmath>

#include "helpers/test_helpers.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/operators.h"

namespace sp {
namespace {

using test::all_close;
using test::equal;

class Elementwise : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    f_ = new std::map<std::string, Tensor>(test::load_fixture("elementwise.h5"));
  }
  static void TearDownTestSuite() { delete f_; }
  static const Tensor& at(const std::string& k) { return f_->at(k); }
  static std::map<std::string, Tensor>* f_;
};
std::map<std::string, Tensor>* Elementwise::f_ = nullptr;

TEST_F(Elementwise, BinaryBroadcastMatchesPyTorch) {
  const Tensor &a = at("a"), &b = at("b");
  EXPECT_TRUE(all_close(add(a, b), at("add")));
  EXPECT_TRUE(all_close(add(a, b, 2.5), at("add_alpha")));
  EXPECT_TRUE(all_close(a - b, at("sub")));
  EXPECT_TRUE(all_close(a * b, at("mul")));
  EXPECT_TRUE(all_close(a / b, at("div")));
  Tensor pa = abs(a) + 0.1;
  EXPECT_TRUE(all_close(pow(pa, b), at("pow")));
  EXPECT_TRUE(all_close(pow(pa, 1.7), at("pow_scalar")));
  EXPECT_TRUE(all_close(pow(2.0, a), at("rpow_scalar")));
  EXPECT_TRUE(all_close(maximum(a, b), at("maximum")));  // NaN propagates
  EXPECT_TRUE(all_close(minimum(a, b), at("minimum")));
  EXPECT_TRUE(all_close(atan2(a, b), at("atan2")));
  EXPECT_TRUE(all_close(3.0 - a, at("rsub_scalar")));
  EXPECT_TRUE(all_close(1.5 / pa, at("rdiv_scalar")));
  EXPECT_TRUE(equal(eq(a, b), at("eq")));
  EXPECT_TRUE(equal(ne(a, b), at("ne")));
  EXPECT_TRUE(equal(a < b, at("lt")));
  EXPECT_TRUE(equal(a <= b, at("le")));
  EXPECT_TRUE(equal(a > b, at("gt")));
  EXPECT_TRUE(equal(a >= b, at("ge")));
  EXPECT_TRUE(equal(a > 0.25, at("gt_scalar")));
}

TEST_F(Elementwise, NonContiguousViews) {
  const Tensor &a = at("a"), &c = at("c");
  EXPECT_TRUE(all_close(a.transpose(0, 2) + c, at("add_transposed")));
  Tensor lhs = a.slice(1, 0, 3, 2).slice(2, 1, 4);
  Tensor rhs = c.transpose(0, 2).slice(1, 0, 3, 2).slice(2, 1, 4);
  EXPECT_TRUE(all_close(lhs * rhs, at("mul_sliced")));
  EXPECT_TRUE(all_close(neg(a.transpose(1, 2)), at("u_neg_t")));
}

TEST_F(Elementwise, IntegerAndBoolPromotion) {
  const Tensor &ai = at("ai"), &bi = at("bi"), &b = at("b");
  EXPECT_TRUE(equal(ai + bi, at("add_int")));
  Tensor d = ai / bi;
  EXPECT_EQ(d.dtype(), DType::F32);
  EXPECT_TRUE(all_close(d, at("div_int")));
  EXPECT_TRUE(equal(ai * 0.5, at("mul_int_half")));
  EXPECT_TRUE(all_close(ai + b.reshape({3, 1}), at("add_int_f32")));
  EXPECT_TRUE(equal(pow(ai, 3), at("pow_int")));
  EXPECT_TRUE(equal(pow(ai, bi), at("pow_int_tensor")));
  EXPECT_TRUE(equal((ai > 0) + 1, at("add_bool_int")));
  EXPECT_TRUE(equal(maximum(ai, bi), at("maximum_int")));
  EXPECT_TRUE(equal(bi + scalar_tensor(1.5, DType::F64), at("i32_plus_f64_0d")));
  EXPECT_TRUE(equal(at("a") + scalar_tensor(1.5, DType::F64), at("f32_plus_f64_0d")));
  EXPECT_EQ(result_type(ai, Scalar(true)), DType::I64);
  EXPECT_EQ(result_type(ai > 0, Scalar(2)), DType::I64);
  EXPECT_EQ(result_type(at("h"), Scalar(2.0)), DType::F16);
}

TEST_F(Elementwise, LogicalAndWhere) {
  const Tensor &ai = at("ai"), &a = at("a"), &b = at("b"), &c = at("c");
  Tensor m = ai > 0, n = ai < 3;
  EXPECT_TRUE(equal(logical_and(m, n), at("logical_and")));
  EXPECT_TRUE(equal(logical_or(ai, b.squeeze(1).slice(0, 0, 1)), at("logical_or")));
  EXPECT_TRUE(equal(logical_xor(m, n), at("logical_xor")));
  EXPECT_TRUE(equal(logical_not(ai), at("logical_not")));
  EXPECT_TRUE(equal(where(a > 0, a, b), at("where")));
  EXPECT_TRUE(equal(where(a > 0, a, -1.0), at("where_scalar")));
  EXPECT_TRUE(equal(where(m, ai, c[0].slice(1, 0, 1)), at("where_int_float")));
  EXPECT_SP_ERROR(where(ai, a, b), "expected cond to have dtype bool, got i64");
}

TEST_F(Elementwise, UnaryMatchesPyTorchIncludingNaNAndInf) {
  const Tensor &x = at("x"), &px = at("px");
  EXPECT_TRUE(equal(neg(x), at("u_neg")));
  EXPECT_TRUE(equal(abs(x), at("u_abs")));
  EXPECT_TRUE(all_close(exp(x), at("u_exp")));
  EXPECT_TRUE(all_close(sigmoid(x), at("u_sigmoid")));
  EXPECT_TRUE(all_close(tanh(x), at("u_tanh")));
  EXPECT_TRUE(equal(relu(x), at("u_relu")));
  EXPECT_TRUE(equal(sign(x), at("u_sign")));
  EXPECT_TRUE(all_close(square(x), at("u_square")));
  EXPECT_TRUE(equal(floor(x), at("u_floor")));
  EXPECT_TRUE(equal(ceil(x), at("u_ceil")));
  EXPECT_TRUE(equal(round(x), at("u_round")));
  EXPECT_TRUE(equal(isnan(x), at("u_isnan")));
  EXPECT_TRUE(equal(isfinite(x), at("u_isfinite")));
  EXPECT_TRUE(all_close(reciprocal(x), at("u_reciprocal")));
  EXPECT_TRUE(all_close(log(px), at("u_log")));
  EXPECT_TRUE(all_close(sqrt(px), at("u_sqrt")));
  EXPECT_TRUE(all_close(rsqrt(px), at("u_rsqrt")));
  EXPECT_TRUE(all_close(leaky_relu(x, 0.2), at("u_leaky_relu")));
  EXPECT_TRUE(equal(clamp(x, -1.0, 2.0), at("u_clamp")));
  EXPECT_TRUE(equal(clamp(x, 0.1, std::nullopt), at("u_clamp_min")));
  EXPECT_TRUE(equal(clamp(x, std::nullopt, 0.1), at("u_clamp_max")));
  const Tensor& ai = at("ai");
  EXPECT_TRUE(equal(clamp(ai, -2, 3), at("u_clamp_int")));
  EXPECT_TRUE(equal(clamp(ai, 0.5, std::nullopt), at("u_clamp_int_float")));
  EXPECT_TRUE(equal(abs(ai), at("u_abs_int")));
  EXPECT_TRUE(equal(sign(ai), at("u_sign_int")));
  EXPECT_TRUE(all_close(exp(ai), at("u_exp_int")));
  EXPECT_EQ(exp(ai).dtype(), DType::F32);
}

TEST_F(Elementwise, HalfAndBFloat16ComputeInF32) {
  const Tensor &h = at("h"), &b = at("b");
  Tensor h2 = h + 2.0;
  EXPECT_EQ(h2.dtype(), DType::F16);
  EXPECT_TRUE(equal(h2, at("h_plus_2")));
  EXPECT_TRUE(equal(exp(h), at("h_exp")));
  EXPECT_TRUE(all_close(h * b, at("h_mul_f32")));
  Tensor bf = at("bf").to(DType::BF16);
  Tensor s = sigmoid(bf);
  EXPECT_EQ(s.dtype(), DType::BF16);
  EXPECT_TRUE(all_close(s.to(DType::F32), at("bf_sigmoid"), 0, 0));
}

TEST_F(Elementwise, InPlaceKeepsSelfDtypeAndStorage) {
  const Tensor &a = at("a"), &b = at("b");
  Tensor s = a.clone();
  Tensor alias = s;
  add_(s, b, -0.5);
  EXPECT_TRUE(all_close(alias, at("add_inplace")));
  s = a.clone();
  mul_(s, b);
  EXPECT_TRUE(all_close(s, at("mul_inplace")));
  Tensor h = at("h").clone();
  add_(h, b.to(DType::F16), 0.25);
  EXPECT_EQ(h.dtype(), DType::F16);
  EXPECT_TRUE(equal(h, at("h_add_inplace")));
  // in place on a transposed view writes through to the base
  Tensor base = zeros({2, 3});
  Tensor view = base.t();
  view += from_vector<float>({1, 2, 3}).reshape({3, 1});
  EXPECT_EQ(base.to_vector<float>(), (std::vector<float>{1, 2, 3, 1, 2, 3}));
  Tensor i = at("ai").clone();
  EXPECT_SP_ERROR(add_(i, at("a")),
                  "add_: expected a result type castable to self's dtype i64, got f32");
  EXPECT_SP_ERROR(add_(s, zeros({5})), "add_: expected broadcastable shapes");
  Tensor e = zeros({3}).expand({2, 3});
  EXPECT_SP_ERROR(mul_(e, 2.0), "expanded view");
  Tensor x = from_vector<float>({-3, 0.5, 7});
  clamp_(x, 0.0, 1.0);
  EXPECT_EQ(x.to_vector<float>(), (std::vector<float>{0, 0.5, 1}));
}

TEST_F(Elementwise, SizeZeroAndSizeOneDims) {
  Tensor e = zeros({0, 3});
  EXPECT_EQ(add(e, ones({1, 3})).shape(), (Shape{0, 3}));
  EXPECT_EQ(exp(e).shape(), (Shape{0, 3}));
  EXPECT_EQ(add(ones({1, 1}), ones({4})).shape(), (Shape{1, 4}));
  Tensor s = scalar_tensor(2.0) * scalar_tensor(3.0);
  EXPECT_EQ(s.dim(), 0);
  EXPECT_EQ(s.item<float>(), 6.0f);
  Tensor big = arange(0.0, 100000.0, 1.0, DType::F32);  // the parallel contiguous path
  Tensor sum = big + big;
  EXPECT_EQ(sum.to_vector<float>()[99999], 199998.0f);
}

TEST_F(Elementwise, ErrorsNameOpShapesAndDtypes) {
  EXPECT_SP_ERROR(add(zeros({2, 3}), zeros({4})),
                  "add: expected broadcastable shapes, got [2, 3] and [4]");
  Tensor m = zeros({2}, DType::Bool);
  EXPECT_SP_ERROR(sub(m, m), "sub: expected numeric tensors, got two bool operands");
  EXPECT_SP_ERROR(neg(m), "neg: expected a numeric tensor, got bool");
  EXPECT_SP_ERROR(pow(arange(3), -1), "pow: expected a non-negative exponent");
  EXPECT_SP_ERROR(add(arange(3), arange(3), 0.5), "add: expected an integral alpha");
  EXPECT_SP_ERROR(clamp(zeros({2}), std::nullopt, std::nullopt),
                  "clamp: expected at least one of min and max");
  EXPECT_SP_ERROR(add(Tensor(), zeros({2})), "add");
}

TEST_F(Elementwise, GpuPublicOpsMatchPyTorch) {
  SP_SKIP_WITHOUT_GPU();
  const Tensor a = at("a").cuda(), b = at("b").cuda();
  EXPECT_TRUE(all_close((a + b).cpu(), at("add")));
  EXPECT_TRUE(all_close(maximum(a, b).cpu(), at("maximum")));
  EXPECT_TRUE(all_close((a.transpose(0, 2) + at("c").cuda()).cpu(), at("add_transposed")));
  EXPECT_TRUE(equal((at("ai").cuda() / at("bi").cuda()).cpu(), at("div_int")));
  EXPECT_TRUE(equal(where(a > 0, a, b).cpu(), at("where")));
  EXPECT_TRUE(all_close(sigmoid(at("x").cuda()).cpu(), at("u_sigmoid")));
}

}  // namespace
}  // namespace sp

// CUDA elementwise kernels against host math on awkward shapes (size 0 and 1, odd,
// large, non-contiguous views, broadcasting), f32 and f64.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "helpers/test_helpers.h"
#include "tensor/cuda/elementwise.h"
#include "tensor/ops/creation.h"

namespace sp {
namespace {

using cuda::BinaryOp;
using cuda::UnaryOp;
using test::all_close;

// Deterministic values in [lo, hi) with a few repeats (so comparisons see ties).
Tensor values(const Shape& shape, double lo, double hi, DType dtype = DType::F64,
              uint64_t seed = 1) {
  std::vector<double> v(size_t(numel(shape)));
  uint64_t s = seed * 0x9e3779b97f4a7c15ull + 1;
  for (auto& x : v) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    x = lo + (hi - lo) * double(s >> 11) / double(1ull << 53);
    if ((s >> 7) % 11 == 0) x = std::round(x);
  }
  return from_vector(v, shape).to(dtype);
}

// Host reference: f applied to every element (in logical order), as f64.
Tensor host_map(const Tensor& a, const std::function<double(double)>& f) {
  std::vector<double> v = a.to_vector<double>();
  for (auto& x : v) x = f(x);
  return from_vector(v, a.shape());
}

Tensor host_zip(const Tensor& a, const Tensor& b, const Shape& shape,
                const std::function<double(double, double)>& f) {
  std::vector<double> x = a.expand(shape).to_vector<double>(),
                      y = b.expand(shape).to_vector<double>();
  for (size_t i = 0; i < x.size(); ++i) x[i] = f(x[i], y[i]);
  return from_vector(x, shape);
}

Tensor run_unary(UnaryOp op, const Tensor& in, double p0 = 0, double p1 = 0) {
  Tensor out = empty(in.shape(), cuda::produces_bool(op) ? DType::Bool : in.dtype(), cuda_device());
  cuda::unary(op, out, in, p0, p1);
  return out;
}

Tensor run_binary(BinaryOp op, const Tensor& a, const Tensor& b, DType out_dtype,
                  double alpha = 1.0) {
  Shape shape = broadcast_shapes(a.shape(), b.shape(), "test");
  Tensor out = empty(shape, out_dtype, cuda_device());
  cuda::binary(op, out, a.expand(shape), b.expand(shape), alpha);
  return out;
}

std::vector<Shape> awkward_shapes() {
  return {{0}, {1}, {3, 0, 2}, {7}, {3, 5, 7}, {(1 << 20) + 3}};
}

double sigmoid(double x) {
  return 1 / (1 + std::exp(-x));
}

struct UnaryCase {
  UnaryOp op;
  double lo, hi;
  std::function<double(double)> ref;
};

TEST(ElementwiseGpu, UnaryMatchesHostMathOnAwkwardShapes) {
  SP_SKIP_WITHOUT_GPU();
  const std::vector<UnaryCase> cases = {
      {UnaryOp::Neg, -3, 3, [](double x) { return -x; }},
      {UnaryOp::Abs, -3, 3, [](double x) { return std::abs(x); }},
      {UnaryOp::Sign, -3, 3, [](double x) { return double((x > 0) - (x < 0)); }},
      {UnaryOp::Square, -3, 3, [](double x) { return x * x; }},
      {UnaryOp::Sqrt, 0, 9, [](double x) { return std::sqrt(x); }},
      {UnaryOp::Rsqrt, 0.1, 9, [](double x) { return 1 / std::sqrt(x); }},
      {UnaryOp::Reciprocal, 0.5, 3, [](double x) { return 1 / x; }},
      {UnaryOp::Exp, -5, 5, [](double x) { return std::exp(x); }},
      {UnaryOp::Expm1, -1, 1, [](double x) { return std::expm1(x); }},
      {UnaryOp::Log, 0.01, 9, [](double x) { return std::log(x); }},
      {UnaryOp::Log1p, -0.5, 9, [](double x) { return std::log1p(x); }},
      {UnaryOp::Sin, -4, 4, [](double x) { return std::sin(x); }},
      {UnaryOp::Cos, -4, 4, [](double x) { return std::cos(x); }},
      {UnaryOp::Atan, -4, 4, [](double x) { return std::atan(x); }},
      {UnaryOp::Tanh, -4, 4, [](double x) { return std::tanh(x); }},
      {UnaryOp::Sigmoid, -8, 8, sigmoid},
      {UnaryOp::LogSigmoid, -30, 30, [](double x) { return -std::log1p(std::exp(-x)); }},
      {UnaryOp::Relu, -3, 3, [](double x) { return x > 0 ? x : 0; }},
      {UnaryOp::Silu, -5, 5, [](double x) { return x * sigmoid(x); }},
      {UnaryOp::Gelu, -5, 5, [](double x) { return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0))); }},
      {UnaryOp::Softplus, -30, 30, [](double x) { return x > 20 ? x : std::log1p(std::exp(x)); }},
      {UnaryOp::Erf, -3, 3, [](double x) { return std::erf(x); }},
      {UnaryOp::Floor, -3, 3, [](double x) { return std::floor(x); }},
      {UnaryOp::Ceil, -3, 3, [](double x) { return std::ceil(x); }},
      {UnaryOp::Round, -3, 3, [](double x) { return std::nearbyint(x); }},
      {UnaryOp::Trunc, -3, 3, [](double x) { return std::trunc(x); }},
  };
  for (DType dt : {DType::F32, DType::F64}) {
    const double tol = dt == DType::F32 ? 2e-6 : 1e-12;
    for (const Shape& shape : awkward_shapes()) {
      for (const UnaryCase& c : cases) {
        Tensor x = values(shape, c.lo, c.hi, dt);
        const bool softplus = c.op == UnaryOp::Softplus;  // p0 = beta, p1 = threshold
        Tensor got = run_unary(c.op, x.cuda(), softplus ? 1.0 : 0.0, softplus ? 20.0 : 0.0);
        EXPECT_EQ(got.dtype(), dt);
        EXPECT_TRUE(all_close(got, host_map(x, c.ref), tol, tol))
            << cuda::name(c.op) << " " << dt << " " << shape;
      }
    }
  }
}

TEST(ElementwiseGpu, UnaryOnNonContiguousViewsAndInPlace) {
  SP_SKIP_WITHOUT_GPU();
  Tensor x = values({6, 5, 4}, -2, 2, DType::F32);
  Tensor g = x.cuda();
  Tensor view = g.permute({2, 0, 1}).slice(2, 1, 5, 2);  // [4, 6, 2], strided
  Tensor got = run_unary(UnaryOp::Exp, view);
  EXPECT_TRUE(all_close(
      got, host_map(x.permute({2, 0, 1}).slice(2, 1, 5, 2), [](double v) { return std::exp(v); }),
      2e-6, 1e-6));
  // Writing into a strided output view, in place.
  cuda::unary(UnaryOp::Clamp, view, view, -0.5, 0.5);
  Tensor host = x.clone();
  Tensor hv = host.permute({2, 0, 1}).slice(2, 1, 5, 2);
  hv.copy_(host_map(hv, [](double v) { return std::min(0.5, std::max(-0.5, v)); }));
  EXPECT_TRUE(all_close(g, host, 0, 0));
  // Parameterised ops.
  Tensor y = values({33}, -3, 3);
  EXPECT_TRUE(all_close(run_unary(UnaryOp::LeakyRelu, y.cuda(), 0.1),
                        host_map(y, [](double v) { return v > 0 ? v : 0.1 * v; })));
  EXPECT_TRUE(all_close(run_unary(UnaryOp::PowScalar, y.cuda(), 3.0),
                        host_map(y, [](double v) { return v * v * v; }), 1e-12, 1e-12));
  EXPECT_TRUE(all_close(run_unary(UnaryOp::Threshold, y.cuda(), 1.0, -7.0),
                        host_map(y, [](double v) { return v > 1 ? v : -7; })));
}

TEST(ElementwiseGpu, UnaryBoolAndSpecialValues) {
  SP_SKIP_WITHOUT_GPU();
  Tensor x = from_vector<float>({0.f, -1.5f, NAN, INFINITY, -INFINITY, 2.f});
  EXPECT_EQ(run_unary(UnaryOp::IsNan, x.cuda()).to_vector<bool>(),
            (std::vector<bool>{0, 0, 1, 0, 0, 0}));
  EXPECT_EQ(run_unary(UnaryOp::IsInf, x.cuda()).to_vector<bool>(),
            (std::vector<bool>{0, 0, 0, 1, 1, 0}));
  EXPECT_EQ(run_unary(UnaryOp::IsFinite, x.cuda()).to_vector<bool>(),
            (std::vector<bool>{1, 1, 0, 0, 0, 1}));
  EXPECT_EQ(run_unary(UnaryOp::LogicalNot, x.cuda()).to_vector<bool>(),
            (std::vector<bool>{1, 0, 0, 0, 0, 0}));
  std::vector<float> relu = run_unary(UnaryOp::Relu, x.cuda()).to_vector<float>();
  EXPECT_TRUE(std::isnan(relu[2]));  // NaN propagates like torch.relu
  EXPECT_EQ(relu[4], 0.f);
  EXPECT_TRUE(std::isnan(run_unary(UnaryOp::Clamp, x.cuda(), -1, 1).to_vector<float>()[2]));
  EXPECT_SP_ERROR(run_unary(UnaryOp::Sqrt, from_vector<int32_t>({4}).cuda()),
                  "expected a floating dtype");
}

TEST(ElementwiseGpu, UnaryOnIntegersAndHalf) {
  SP_SKIP_WITHOUT_GPU();
  Tensor i = from_vector<int64_t>({-3, -1, 0, 2, 5});
  EXPECT_EQ(run_unary(UnaryOp::Abs, i.cuda()).to_vector<int64_t>(),
            (std::vector<int64_t>{3, 1, 0, 2, 5}));
  EXPECT_EQ(run_unary(UnaryOp::Sign, i.cuda()).to_vector<int64_t>(),
            (std::vector<int64_t>{-1, -1, 0, 1, 1}));
  EXPECT_EQ(run_unary(UnaryOp::PowScalar, i.cuda(), 2).to_vector<int64_t>(),
            (std::vector<int64_t>{9, 1, 0, 4, 25}));
  EXPECT_EQ(run_unary(UnaryOp::Clamp, i.cuda(), -1, 3).to_vector<int64_t>(),
            (std::vector<int64_t>{-1, -1, 0, 2, 3}));
  Tensor h = values({101}, -4, 4, DType::F16);
  EXPECT_TRUE(all_close(run_unary(UnaryOp::Tanh, h.cuda()),
                        host_map(h, [](double v) { return std::tanh(v); }), 1e-3, 1e-3));
  Tensor b = values({101}, -4, 4, DType::BF16);
  EXPECT_TRUE(all_close(run_unary(UnaryOp::Sigmoid, b.cuda()), host_map(b, sigmoid), 1e-2, 1e-2));
}

struct BinaryCase {
  BinaryOp op;
  std::function<double(double, double)> ref;
};

double py_mod(double a, double b) {
  double r = std::fmod(a, b);
  return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
}

TEST(ElementwiseGpu, BinaryBroadcastsOverAwkwardShapes) {
  SP_SKIP_WITHOUT_GPU();
  const std::vector<BinaryCase> cases = {
      {BinaryOp::Add, [](double a, double b) { return a + 2 * b; }},  // alpha = 2
      {BinaryOp::Sub, [](double a, double b) { return a - 2 * b; }},
      {BinaryOp::Mul, [](double a, double b) { return a * b; }},
      {BinaryOp::Div, [](double a, double b) { return a / b; }},
      {BinaryOp::Maximum, [](double a, double b) { return std::max(a, b); }},
      {BinaryOp::Minimum, [](double a, double b) { return std::min(a, b); }},
      {BinaryOp::Remainder, py_mod},
      {BinaryOp::Fmod, [](double a, double b) { return std::fmod(a, b); }},
      {BinaryOp::FloorDiv, [](double a, double b) { return std::floor(a / b); }},
      {BinaryOp::Atan2, [](double a, double b) { return std::atan2(a, b); }},
      {BinaryOp::Pow, [](double a, double b) { return std::pow(std::abs(a), b); }},
  };
  const std::vector<std::pair<Shape, Shape>> shapes = {
      {{0}, {1}},       {{1}, {1}},       {{3, 1, 5}, {4, 1}}, {{7}, {}},
      {{2, 0, 3}, {3}}, {{1 << 20}, {1}}, {{257, 3}, {257, 1}}};
  for (DType dt : {DType::F32, DType::F64}) {
    const double tol = dt == DType::F32 ? 2e-6 : 1e-12;
    for (const auto& [sa, sb] : shapes) {
      for (const BinaryCase& c : cases) {
        Tensor a = values(sa, c.op == BinaryOp::Pow ? 0.1 : -5, 5, dt, 1);
        Tensor b = values(sb, 0.25, 3, dt, 2);
        if (c.op == BinaryOp::Sub || c.op == BinaryOp::Mul) b = values(sb, -3, 3, dt, 3);
        Tensor got = run_binary(c.op, a.cuda(), b.cuda(), dt, 2.0);
        Shape shape = broadcast_shapes(sa, sb, "test");
        EXPECT_TRUE(all_close(got, host_zip(a, b, shape, c.ref), tol, tol))
            << cuda::name(c.op) << " " << dt << " " << sa << " " << sb;
      }
    }
  }
}

TEST(ElementwiseGpu, BinaryOnNonContiguousAndMixedDtypes) {
  SP_SKIP_WITHOUT_GPU();
  Tensor a = values({5, 8}, -2, 2, DType::F32);
  Tensor b = values({8, 5}, -2, 2, DType::F64);
  // a + b^T with b in f64: converted to out's dtype (f64) first.
  Tensor got = run_binary(BinaryOp::Mul, a.cuda(), b.cuda().t(), DType::F64);
  EXPECT_TRUE(all_close(got, host_zip(a, b.t(), {5, 8}, [](double x, double y) { return x * y; }),
                        1e-12, 1e-12));
  // Integers: floor division and Python remainder follow the sign of the divisor.
  Tensor x = from_vector<int32_t>({7, -7, 7, -7, 5, 0});
  Tensor y = from_vector<int32_t>({2, 2, -2, -2, 0, 3});
  EXPECT_EQ(run_binary(BinaryOp::FloorDiv, x.cuda(), y.cuda(), DType::I32).to_vector<int32_t>(),
            (std::vector<int32_t>{3, -4, -4, 3, 0, 0}));
  EXPECT_EQ(run_binary(BinaryOp::Remainder, x.cuda(), y.cuda(), DType::I32).to_vector<int32_t>(),
            (std::vector<int32_t>{1, 1, -1, -1, 0, 0}));
  EXPECT_EQ(run_binary(BinaryOp::Pow, x.cuda(), from_vector<int32_t>({2}).cuda(), DType::I32)
                .to_vector<int32_t>(),
            (std::vector<int32_t>{49, 49, 49, 49, 25, 0}));
  // NaN propagates through maximum/minimum.
  Tensor n = from_vector<float>({NAN, 1.f});
  std::vector<float> mx =
      run_binary(BinaryOp::Maximum, n.cuda(), from_vector<float>({0.f, NAN}).cuda(), DType::F32)
          .to_vector<float>();
  EXPECT_TRUE(std::isnan(mx[0]) && std::isnan(mx[1]));
  EXPECT_SP_ERROR(run_binary(BinaryOp::Atan2, x.cuda(), y.cuda(), DType::I32),
                  "expected a floating dtype");
}

TEST(ElementwiseGpu, ComparisonsWhereAndClamp) {
  SP_SKIP_WITHOUT_GPU();
  Tensor a = values({4, 1, 6}, -2, 2, DType::F32, 5);
  Tensor b = values({3, 1}, -2, 2, DType::F64, 6);
  const Shape shape{4, 3, 6};
  const std::vector<std::pair<BinaryOp, std::function<double(double, double)>>> cmp = {
      {BinaryOp::Eq, [](double x, double y) { return double(x == y); }},
      {BinaryOp::Ne, [](double x, double y) { return double(x != y); }},
      {BinaryOp::Lt, [](double x, double y) { return double(x < y); }},
      {BinaryOp::Le, [](double x, double y) { return double(x <= y); }},
      {BinaryOp::Gt, [](double x, double y) { return double(x > y); }},
      {BinaryOp::Ge, [](double x, double y) { return double(x >= y); }},
      {BinaryOp::LogicalAnd, [](double x, double y) { return double(x != 0 && y != 0); }},
      {BinaryOp::LogicalXor, [](double x, double y) { return double((x != 0) != (y != 0)); }},
  };
  for (const auto& [op, ref] : cmp) {
    Tensor got = run_binary(op, a.cuda(), b.cuda(), DType::Bool);
    EXPECT_EQ(got.dtype(), DType::Bool);
    // Compared in promote_types(f32, f64) = f64, like the CPU.
    EXPECT_TRUE(all_close(got, host_zip(a.to(DType::F64), b, shape, ref), 0, 0)) << cuda::name(op);
  }
  Tensor cond = run_binary(BinaryOp::Gt, a.cuda(), b.cuda(), DType::Bool);
  Tensor out = empty(shape, DType::F32, cuda_device());
  cuda::where(out, cond, a.cuda().expand(shape), b.cuda().expand(shape));
  EXPECT_TRUE(all_close(
      out, host_zip(a.to(DType::F64), b, shape, [](double x, double y) { return x > y ? x : y; }),
      1e-6, 1e-6));
  Tensor lo = full({1}, -0.5, DType::F32, cuda_device()), hi = values({6}, 0, 1, DType::F32, 7);
  Tensor c = empty({4, 1, 6}, DType::F32, cuda_device());
  cuda::clamp_tensor(c, a.cuda(), lo.expand({4, 1, 6}), hi.cuda().expand({4, 1, 6}));
  Tensor lo_h = full({4, 1, 6}, -0.5, DType::F64);
  Tensor ref =
      host_zip(host_zip(a, lo_h, {4, 1, 6}, [](double x, double l) { return std::max(x, l); }), hi,
               {4, 1, 6}, [](double x, double h) { return std::min(x, h); });
  EXPECT_TRUE(all_close(c, ref, 1e-6, 1e-6));
  EXPECT_SP_ERROR(run_binary(BinaryOp::Lt, a.cuda(), b.cuda(), DType::F32), "of dtype bool");
}

}  // namespace
}  // namespace sp

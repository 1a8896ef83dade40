// Engine tests: topological order, accumulation of reused values, graph freeing,
// retain_graph, leaf accumulation across calls, no-grad, anomaly mode, gradcheck itself.
#include <gtest/gtest.h>

#include <cmath>

#include "autograd/checkpoint.h"
#include "autograd/functions/views.h"
#include "autograd/grad_mode.h"
#include "autograd/gradcheck.h"
#include "autograd/node.h"
#include "helpers/test_helpers.h"
#include "tensor/ops/creation.h"

namespace sp::ag {
namespace {

using test::all_close;

// Elementwise host maps, so the engine is tested independently of the tensor ops.
Tensor host_map(const Tensor& t, const std::function<double(double)>& f) {
  std::vector<double> v = t.to(DType::F64).cpu().to_vector<double>();
  for (double& x : v) x = f(x);
  return from_vector(v, t.shape()).to(t.device(), t.dtype());
}
Tensor host_zip(const Tensor& a, const Tensor& b, const std::function<double(double, double)>& f) {
  std::vector<double> x = a.to(DType::F64).cpu().to_vector<double>();
  std::vector<double> y = b.contiguous().to(DType::F64).cpu().to_vector<double>();
  for (size_t i = 0; i < x.size(); ++i) x[i] = f(x[i], y[i]);
  return from_vector(x, a.shape()).to(a.device(), a.dtype());
}

// A custom differentiable op through the public make_result API: y = x^2.
Var square(const Var& x) {
  return make_result("square", host_map(x.data(), [](double v) { return v * v; }), {x}, {x.data()},
                     [](const BackwardArgs& a) {
                       return std::vector<Tensor>{host_zip(
                           a.grad(), a.saved[0], [](double g, double v) { return 2 * g * v; })};
                     });
}
// y = log(x), to provoke NaN in anomaly mode.
Var host_log(const Var& x) {
  return make_result("log", host_map(x.data(), [](double v) { return std::log(v); }), {x},
                     {x.data()}, [](const BackwardArgs& a) {
                       return std::vector<Tensor>{host_zip(
                           a.grad(), a.saved[0], [](double g, double v) { return g / v; })};
                     });
}
// Elementwise product of two same-shape values.
Var product(const Var& a, const Var& b) {
  return make_result("product",
                     host_zip(a.data(), b.data(), [](double x, double y) { return x * y; }), {a, b},
                     {a.data(), b.data()}, [](const BackwardArgs& args) {
                       auto mul = [](double x, double y) { return x * y; };
                       return std::vector<Tensor>{host_zip(args.grad(), args.saved[1], mul),
                                                  host_zip(args.grad(), args.saved[0], mul)};
                     });
}
// Sum of all elements (1 element result).
Var total(const Var& x) {
  std::vector<double> v = x.data().to(DType::F64).cpu().to_vector<double>();
  double s = 0;
  for (double e : v) s += e;
  return make_result("total", scalar_tensor(s, x.dtype(), x.device()), {x}, {},
                     [](const BackwardArgs& a) {
                       return std::vector<Tensor>{full(a.inputs[0].shape, a.grad().item<double>(),
                                                       a.inputs[0].dtype, a.inputs[0].device)};
                     });
}

Tensor values(std::vector<double> v, const Shape& shape) {
  return from_vector(v, shape);
}

TEST(Engine, ReusedValueGradientsAccumulate) {
  Var x(values({1, 2, 3}, {3}), true);
  Var y = square(x);
  // y feeds both inputs of product: d/dx sum(y * y) = 4x^3. A second loss sharing
  // y's node needs the graph retained by the first backward: + 2x.
  Var loss = total(product(y, y));
  Var loss2 = total(y);
  backward(loss, {}, true);
  backward(loss2);
  EXPECT_TRUE(all_close(x.grad(), values({4 + 2, 32 + 4, 108 + 6}, {3})));
}

TEST(Engine, DiamondGraphVisitsEachNodeOnce) {
  Var x(values({0.5, -1.5}, {2}), true);
  Var a = square(x);
  Var b = product(a, x);                // x^3
  Var c = product(b, reshape(a, {2}));  // x^5
  backward(total(c));
  EXPECT_TRUE(all_close(x.grad(), values({5 * std::pow(0.5, 4), 5 * std::pow(1.5, 4)}, {2})));
}

TEST(Engine, DeepChainNeedsNoRecursion) {
  Var x(values({1.0}, {1}), true);
  Var y = x;
  for (int i = 0; i < 100000; ++i) y = reshape(y, {1});
  backward(total(y));
  EXPECT_EQ(x.grad().item<double>(), 1.0);
}

TEST(Engine, LeafGradsAccumulateAcrossBackwardCalls) {
  Var x(values({1, 2}, {2}), true);
  backward(total(square(x)));
  backward(total(square(x)));
  EXPECT_TRUE(all_close(x.grad(), values({4, 8}, {2})));
  x.zero_grad();
  EXPECT_FALSE(x.grad().defined());
  backward(total(square(x)));
  EXPECT_TRUE(all_close(x.grad(), values({2, 4}, {2})));
}

TEST(Engine, GraphIsFreedAfterBackward) {
  Tensor data = values({1, 2, 3}, {3});
  Var x(data, true);
  Var y = square(x);
  std::weak_ptr<Node> node = y.grad_fn();
  Var loss = total(y);
  long before = data.storage().use_count();
  size_t saved_before = saved_tensor_bytes();
  EXPECT_GE(saved_before, data.nbytes());
  backward(loss);
  EXPECT_LT(data.storage().use_count(), before);  // square's saved copy of x is gone
  EXPECT_EQ(saved_tensor_bytes(), saved_before - data.nbytes());
  ASSERT_FALSE(node.expired());  // y still refers to it...
  EXPECT_TRUE(node.lock()->released());
  EXPECT_TRUE(node.lock()->saved().empty());
  y = Var();
  EXPECT_TRUE(node.expired());  // ...and the loss no longer does
  EXPECT_SP_ERROR(backward(loss), "retain_graph");
}

TEST(Engine, RetainGraphAllowsASecondBackward) {
  Var x(values({3}, {1}), true);
  Var loss = total(square(x));
  backward(loss, {}, true);
  backward(loss);
  EXPECT_EQ(x.grad().item<double>(), 12.0);
  EXPECT_SP_ERROR(backward(loss), "already freed");
}

TEST(Engine, NoGradBuildsNoGraph) {
  Var x(values({1, 2}, {2}), true);
  {
    NoGradGuard guard;
    Var y = square(x);
    EXPECT_FALSE(y.requires_grad());
    EXPECT_EQ(y.grad_fn(), nullptr);
    EXPECT_SP_ERROR(backward(total(y)), "NoGradGuard");
  }
  EXPECT_TRUE(square(x).requires_grad());
  EXPECT_FALSE(square(x.detach()).requires_grad());
}

TEST(Engine, NonScalarLossNeedsAGradient) {
  Var x(values({1, 2}, {2}), true);
  EXPECT_SP_ERROR(backward(square(x)), "one-element loss");
  backward(square(x), values({1, 10}, {2}));
  EXPECT_TRUE(all_close(x.grad(), values({2, 40}, {2})));
}

TEST(Engine, AnomalyModeNamesTheOp) {
  Var x(values({1, -1}, {2}), true);
  EXPECT_NO_THROW(host_log(x));  // off by default: NaN flows silently
  AnomalyGuard anomaly;
  EXPECT_SP_ERROR(host_log(x), "'log'");
  Var z(values({0, 1}, {2}), true);
  Var y = square(z);  // finite forward; log(0) = -inf in forward too
  EXPECT_SP_ERROR(host_log(y), "produced NaN/Inf");
}

TEST(Engine, AnomalyModeChecksGradients) {
  // sqrt(0) is finite but its gradient is not.
  auto host_sqrt = [](const Var& x) {
    return make_result(
        "sqrt", host_map(x.data(), [](double v) { return std::sqrt(v); }), {x}, {x.data()},
        [](const BackwardArgs& a) {
          return std::vector<Tensor>{host_zip(
              a.grad(), a.saved[0], [](double g, double v) { return g / (2 * std::sqrt(v)); })};
        });
  };
  Var x(values({0, 1}, {2}), true);
  Var loss = total(host_sqrt(x));
  AnomalyGuard anomaly;
  EXPECT_SP_ERROR(backward(loss), "backward of op 'sqrt' produced NaN/Inf");
}

TEST(Gradcheck, PassesForCorrectAndReportsWrongGradients) {
  Tensor x = values({0.5, -1.0, 2.0, 1.5, 0.7, -0.3}, {2, 3});
  auto fn = [](const std::vector<Var>& v) { return product(square(v[0]), v[1]); };
  GradcheckResult ok = gradcheck(fn, {x, x.t().contiguous().reshape({2, 3})});
  EXPECT_TRUE(ok.ok) << ok.message;
  EXPECT_EQ(ok.elements_checked, 12);

  auto wrong = [](const std::vector<Var>& v) {
    return make_result("wrong", host_map(v[0].data(), [](double e) { return e * e; }), {v[0]}, {},
                       [](const BackwardArgs& a) { return std::vector<Tensor>{a.grad()}; });
  };
  GradcheckResult bad = gradcheck(wrong, {x});
  EXPECT_FALSE(bad.ok);
  EXPECT_EQ(bad.worst_input, 0);
  EXPECT_EQ(bad.worst_element,
            5);  // x = -0.3: analytic r vs numeric -0.6 r, the worst relative gap
  EXPECT_NE(bad.message.find("FAILED"), std::string::npos);
}

TEST(Gradcheck, ViewsOnNonContiguousInputs) {
  Tensor base = arange(0.0, 24.0, 1.0, DType::F64).reshape({2, 3, 4});
  Tensor x = base.transpose(0, 2);  // [4, 3, 2], non-contiguous
  auto fn = [](const std::vector<Var>& v) {
    Var y = permute(v[0], {2, 0, 1});               // [2, 4, 3]
    y = slice(y, 1, 1, 4, 2);                       // [2, 2, 3]
    y = select(y, 2, -1);                           // [2, 2]
    y = unsqueeze(reshape(contiguous(y), {4}), 0);  // [1, 4]
    y = expand(y, {3, 4});
    y = narrow(squeeze(unsqueeze(y, 1), 1), 0, 1, 2);  // [2, 4]
    return product(square(transpose(y, 0, 1)), transpose(y, 0, 1));
  };
  GradcheckResult r = gradcheck(fn, {x});
  EXPECT_TRUE(r.ok) << r.message;
}

}  // namespace
}  // namespace sp::ag

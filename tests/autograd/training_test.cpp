// End-to-end checks of the engine with real ops: a small MLP fits toy problems with
// manual SGD (f32, CPU), and anomaly mode names the real op that produced NaN/Inf.
#include <gtest/gtest.h>

#include <cmath>

#include "autograd/functions/elementwise.h"
#include "autograd/functions/index.h"
#include "autograd/functions/matmul.h"
#include "autograd/functions/reduce.h"
#include "autograd/functions/softmax.h"
#include "autograd/grad_mode.h"
#include "autograd/operators.h"
#include "helpers/test_helpers.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/operators.h"
#include "tensor/ops/random.h"

namespace sp::ag {
namespace {

struct Linear {
  Var w, b;
  Linear(int64_t in, int64_t out, Generator& gen)
      : w(randn({in, out}, gen) * (1.0 / std::sqrt(double(in))), true), b(zeros({out}), true) {}
  Var operator()(const Var& x) const { return matmul(x, w) + b; }
};

// p -= lr * v with v = momentum * v + grad (PyTorch's SGD); velocity starts empty.
void sgd_step(const std::vector<Var>& params, std::vector<Tensor>& velocity, double lr,
              double momentum = 0.0) {
  velocity.resize(params.size());
  for (size_t i = 0; i < params.size(); ++i) {
    Var p = params[i];
    Tensor& v = velocity[i];
    v = v.defined() ? v * momentum + p.grad() : p.grad().clone();
    Tensor data = p.data();
    add_(data, v, -lr);
    p.zero_grad();
  }
}

TEST(AgTraining, MlpFitsXorWithCrossEntropy) {
  Generator gen(1);
  Linear l1(2, 8, gen), l2(8, 2, gen);
  Var x(from_vector(std::vector<float>{0, 0, 0, 1, 1, 0, 1, 1}, {4, 2}));
  Tensor labels = from_vector(std::vector<int64_t>{0, 1, 1, 0}, {4, 1});
  std::vector<Tensor> velocity;
  double first = 0, last = 0;
  for (int step = 0; step < 300; ++step) {
    Var logp = log_softmax(l2(tanh(l1(x))), 1);
    Var loss = -mean(gather(logp, 1, labels));
    backward(loss);
    sgd_step({l1.w, l1.b, l2.w, l2.b}, velocity, 0.5);
    (step == 0 ? first : last) = loss.item<float>();
  }
  EXPECT_NEAR(first, std::log(2.0), 0.3);
  EXPECT_LT(last, 0.02) << "first loss " << first;
}

TEST(AgTraining, MlpFitsASine) {
  Generator gen(2);
  Linear l1(1, 32, gen), l2(32, 32, gen), l3(32, 1, gen);
  std::vector<float> xs(64), ys(64);
  for (size_t i = 0; i < xs.size(); ++i) {
    xs[i] = -3.0f + 6.0f * float(i) / 63.0f;
    ys[i] = std::sin(xs[i]);
  }
  Var x(from_vector(xs, {64, 1})), target(from_vector(ys, {64, 1}));
  std::vector<Tensor> velocity;
  double last = 0;
  for (int step = 0; step < 2000; ++step) {
    Var y = l3(gelu(l2(tanh(l1(x)))));
    Var loss = mean(square(y - target));
    backward(loss);
    sgd_step({l1.w, l1.b, l2.w, l2.b, l3.w, l3.b}, velocity, 0.02, 0.9);
    last = loss.item<float>();
  }
  EXPECT_LT(last, 1e-3);  // the target's variance is ~0.5; reached 3.6e-4
}

TEST(AgTraining, AnomalyModeNamesTheRealOp) {
  Var x(from_vector(std::vector<float>{1, -1}, {2}), true);
  AnomalyGuard anomaly;
  EXPECT_SP_ERROR(log(x), "op 'log' produced NaN/Inf");
  Var z(from_vector(std::vector<float>{0, 4}, {2}), true);
  Var loss = sum(sqrt(z));  // finite forward; d sqrt(x)/dx = inf at 0
  EXPECT_SP_ERROR(backward(loss), "backward of op 'sqrt' produced NaN/Inf");
  Var ok(from_vector(std::vector<float>{1, 2}, {2}), true);
  EXPECT_NO_THROW(backward(sum(log(ok))));
}

}  // namespace
}  // namespace sp::ag

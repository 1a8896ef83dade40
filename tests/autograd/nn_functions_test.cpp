// Differentiable pooling, batch_norm, normalize, gelu (and the erf tensor op) and
// dropout: f64 gradchecks plus forward values, gradients and running-buffer updates
// against PyTorch (tests/reference/autograd_nn.py).
#include <cmath>

#include "autograd/functions/dropout.h"
#include "autograd/functions/elementwise.h"
#include "autograd/functions/norm.h"
#include "autograd/functions/pool.h"
#include "autograd/functions/reduce.h"
#include "autograd/grad_mode.h"
#include "autograd/operators.h"
#include "gradcheck_helpers.h"
#include "tensor/ops/operators.h"
#include "tensor/ops/reduce.h"

namespace sp::ag {
namespace {

using sp::test::all_close;
using test::non_contiguous;
using test::uniform;
using Vars = std::vector<Var>;

const std::map<std::string, Tensor>& fixture() {
  static const auto f = sp::test::load_fixture("autograd_nn.h5");
  return f;
}
Tensor at(const std::string& name, Device device) {
  return fixture().at(name).to(device);
}

AG_TEST(AgPool, MaxPool2d) {
  Tensor x = non_contiguous(uniform({2, 3, 6, 7}, -1, 1, 1, device));  // distinct values: no ties
  EXPECT_GRADCHECK([](const Vars& v) { return max_pool2d(v[0], {}); }, {x});
  Pool2dArgs args{
      .kernel = {3, 2}, .stride = {2, 1}, .padding = {1, 1}, .dilation = {1, 2}, .ceil_mode = true};
  EXPECT_GRADCHECK([args](const Vars& v) { return max_pool2d(v[0], args); }, {x});
  EXPECT_GRADCHECK(
      [](const Vars& v) {
        return max_pool2d(v[0], {.kernel = {2, 3}});
      },
      {uniform({3, 4, 6}, -1, 1, 2, device)});  // unbatched
}

AG_TEST(AgPool, AvgPool2d) {
  Tensor x = non_contiguous(uniform({2, 3, 5, 7}, -1, 1, 3, device));
  EXPECT_GRADCHECK([](const Vars& v) { return avg_pool2d(v[0], {}); }, {x});
  Pool2dArgs args{.kernel = {3, 3},
                  .stride = {2, 2},
                  .padding = {1, 1},
                  .ceil_mode = true,
                  .count_include_pad = false};
  EXPECT_GRADCHECK([args](const Vars& v) { return avg_pool2d(v[0], args); }, {x});
  EXPECT_SP_ERROR(avg_pool2d(Var(), {}), "avg_pool2d");
}

AG_TEST(AgBatchNorm, TrainingMatchesPyTorchAndUpdatesBuffers) {
  Var x(at("bn_x", device), true), w(at("bn_w", device), true), b(at("bn_b", device), true);
  Tensor rm = at("bn_rm0", device).clone(), rv = at("bn_rv0", device).clone();
  Var y = batch_norm(x, w, b, rm, rv, true, 0.2, 1e-3);
  EXPECT_TRUE(all_close(y.data().cpu(), at("bn_y", kCPU), 1e-10, 1e-10));
  backward(y, at("bn_gy", device));
  EXPECT_TRUE(all_close(x.grad().cpu(), at("bn_gx", kCPU), 1e-9, 1e-10));
  EXPECT_TRUE(all_close(w.grad().cpu(), at("bn_gw", kCPU), 1e-9, 1e-10));
  EXPECT_TRUE(all_close(b.grad().cpu(), at("bn_gb", kCPU), 1e-9, 1e-10));
  {
    NoGradGuard no_grad;
    batch_norm(Var(x.data() * 2.0 + 1.0), w, b, rm, rv, true, 0.2, 1e-3);
  }
  EXPECT_TRUE(
      all_close(rm.cpu(), at("bn_rm2", kCPU), 1e-10, 1e-12));  // unbiased var in running_var
  EXPECT_TRUE(all_close(rv.cpu(), at("bn_rv2", kCPU), 1e-10, 1e-12));
  Tensor rm_before = rm.clone(), rv_before = rv.clone();
  Var e = batch_norm(x, w, b, rm, rv, false, 0.2, 1e-3);
  EXPECT_TRUE(all_close(e.data().cpu(), at("bn_eval", kCPU), 1e-10, 1e-10));
  EXPECT_TRUE(sp::test::equal(rm, rm_before));  // eval leaves the buffers alone
  EXPECT_TRUE(sp::test::equal(rv, rv_before));
}

AG_TEST(AgBatchNorm, Gradchecks) {
  Tensor x = non_contiguous(uniform({4, 3, 2, 3}, -1, 1, 4, device));
  Tensor w = uniform({3}, 0.5, 1.5, 5, device), b = uniform({3}, -1, 1, 6, device);
  // Training without tracked buffers (nothing changes between gradcheck's calls).
  EXPECT_GRADCHECK(
      [](const Vars& v) { return batch_norm(v[0], v[1], v[2], {}, {}, true, 0.1, 1e-5); },
      {x, w, b});
  EXPECT_GRADCHECK([](const Vars& v) { return batch_norm(v[0], {}, {}, {}, {}, true, 0.1, 1e-5); },
                   {x});
  Tensor rm = uniform({3}, -0.5, 0.5, 7, device), rv = uniform({3}, 0.5, 2, 8, device);
  EXPECT_GRADCHECK(
      [rm, rv](const Vars& v) { return batch_norm(v[0], v[1], v[2], rm, rv, false, 0.1, 1e-5); },
      {x, w, b});
  Tensor nc = uniform({5, 3}, -1, 1, 9, device);  // [N, C]
  EXPECT_GRADCHECK(
      [](const Vars& v) { return batch_norm(v[0] * v[0], v[1], {}, {}, {}, true, 0.1, 1e-5); },
      {nc, w});
  EXPECT_SP_ERROR(batch_norm(Var(nc), {}, {}, {}, {}, false, 0.1, 1e-5), "running_mean");
  EXPECT_SP_ERROR(batch_norm(Var(nc), Var(w.slice(0, 0, 2)), {}, {}, {}, true, 0.1, 1e-5),
                  "weight");
}

AG_TEST(AgNormalize, MatchesPyTorchAndGradchecks) {
  Tensor n = at("norm_x", device);
  EXPECT_TRUE(all_close(normalize(Var(n)).data().cpu(), at("normalize_2_1", kCPU)));
  EXPECT_TRUE(all_close(normalize(Var(n), 1.0, 0).data().cpu(), at("normalize_1_0", kCPU)));
  EXPECT_TRUE(
      all_close(normalize(Var(n), 3.0, -1, 1e-3).data().cpu(), at("normalize_3_last", kCPU)));
  Tensor x = non_contiguous(test::away_from_zero({3, 4}, 0.2, 1.5, 10, device));
  EXPECT_GRADCHECK([](const Vars& v) { return normalize(v[0]); }, {x});
  EXPECT_GRADCHECK([](const Vars& v) { return normalize(v[0], 1.0, 0); }, {x});
  EXPECT_GRADCHECK([](const Vars& v) { return normalize(v[0] * v[1], 2.0, -1); },
                   {x, uniform({4}, 0.5, 1, 11, device)});
}

AG_TEST(AgGelu, ErfAndGeluMatchPyTorch) {
  EXPECT_TRUE(all_close(sp::erf(at("erf_x", device)).cpu(), at("erf", kCPU)));
  EXPECT_EQ(sp::erf(arange(int64_t(3), DType::I64, device)).dtype(), DType::F32);
  Var g(at("gelu_x", device), true);
  Var y = gelu(g);
  EXPECT_TRUE(all_close(y.data().cpu(), at("gelu", kCPU), 1e-12, 1e-14));
  backward(y, sp::ones_like(y.data()));
  EXPECT_TRUE(all_close(g.grad().cpu(), at("gelu_grad", kCPU), 1e-12, 1e-14));
  EXPECT_GRADCHECK(
      [](const Vars& v) { return gelu(v[0] * v[1]); },
      {non_contiguous(uniform({3, 4}, -3, 3, 12, device)), uniform({4}, 0.5, 1.5, 13, device)});
}

AG_TEST(AgDropout, MaskScaleAndGradient) {
  Generator gen(42);
  Var x(sp::full({200, 50}, 2.0, DType::F64, device), true);
  Var y = dropout(x, 0.3, true, gen);
  Tensor kept = sp::ne(y.data(), 0.0).to(DType::F64);
  const double kept_fraction = sp::mean(kept).item<double>();
  EXPECT_NEAR(kept_fraction, 0.7, 0.02);
  // Kept elements are scaled by 1 / (1 - p): the mean is preserved.
  EXPECT_TRUE(all_close((y.data() * kept).cpu(), (kept * (2.0 / 0.7)).cpu(), 1e-12, 1e-12));
  backward(sum(y));
  EXPECT_TRUE(all_close(x.grad().cpu(), (kept / 0.7).cpu(), 1e-12, 1e-12));
  // The mask is a function of the generator state: same state, same mask; state advances.
  Generator again(42);
  EXPECT_TRUE(sp::test::equal(dropout(x, 0.3, true, again).data().cpu(), y.data().cpu()));
  EXPECT_EQ(again.offset, gen.offset);
  EXPECT_FALSE(sp::test::equal(dropout(x, 0.3, true, again).data().cpu(), y.data().cpu()));
  // Eval mode and p = 0 are the identity; p = 1 drops everything.
  EXPECT_EQ(dropout(x, 0.3, false, gen).impl(), x.impl());
  EXPECT_EQ(dropout(x, 0.0, true, gen).impl(), x.impl());
  EXPECT_EQ(sp::amax(sp::abs(dropout(x, 1.0, true, gen).data())).item<double>(), 0.0);
  EXPECT_SP_ERROR(dropout(x, 1.5, true, gen), "dropout: expected a probability");
}

TEST(AgDropoutGpu, SameMaskOnCpuAndCuda) {
  SP_SKIP_WITHOUT_GPU();
  Generator a(7), b(7);
  Tensor x = sp::ones({33, 17});
  Tensor on_cpu = dropout(Var(x), 0.5, true, a).data();
  Tensor on_gpu = dropout(Var(x.cuda()), 0.5, true, b).data();
  EXPECT_TRUE(sp::test::equal(on_gpu.cpu(), on_cpu));
}

}  // namespace
}  // namespace sp::ag

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "helpers/test_helpers.h"
#include "nn/optim/adam.h"
#include "nn/optim/clip.h"
#include "nn/optim/lr_schedule.h"
#include "nn/optim/sgd.h"
#include "tensor/ops/creation.h"

namespace sp::nn::optim {
namespace {

using test::all_close;

const std::map<std::string, Tensor>& fixture() {
  static auto f = test::load_fixture("nn_optim.h5");
  return f;
}

// loss = mean((x W^T + b - target)^2) and its gradient, with plain loops in f64 (the
// fixture's x/target are f64; the f32 runs round them like PyTorch's .to(f32)).
template <typename T>
double loss_and_grad(const ag::Var& w, const ag::Var& b) {
  Tensor xt = fixture().at("x").to(dtype_v<T>), yt = fixture().at("target").to(dtype_v<T>);
  auto x = xt.to_vector<T>();
  auto y = yt.to_vector<T>();
  auto W = w.data().to_vector<T>();
  auto B = b.data().to_vector<T>();
  const int n = 5, in = 4, out = 3;
  std::vector<T> gw(out * in, 0), gb(out, 0);
  double loss = 0;
  for (int r = 0; r < n; ++r)
    for (int o = 0; o < out; ++o) {
      T pred = B[o];
      for (int i = 0; i < in; ++i) pred += x[r * in + i] * W[o * in + i];
      T diff = pred - y[r * out + o];
      loss += double(diff) * double(diff);
      T d = T(2) * diff / T(n * out);
      gb[o] += d;
      for (int i = 0; i < in; ++i) gw[o * in + i] += d * x[r * in + i];
    }
  w.impl()->grad = from_vector(gw, {out, in});
  b.impl()->grad = from_vector(gb, {out});
  return loss / (n * out);
}

// Ten steps of `make`'s optimizer on the fixture's regression problem against PyTorch's
// losses and final parameters (tests/reference), within rtol.
template <typename T>
::testing::AssertionResult matches_pytorch(
    const std::string& name,
    const std::function<std::unique_ptr<Optimizer>(std::vector<ag::Var>)>& make, double rtol) {
  const std::string g = name + (dtype_v<T> == DType::F32 ? "/f32" : "/f64");
  ag::Var w(fixture().at("w0").to(dtype_v<T>).clone(), true);
  ag::Var b(fixture().at("b0").to(dtype_v<T>).clone(), true);
  auto opt = make({w, b});
  auto losses = fixture().at(g + "/losses").to_vector<double>();
  for (int s = 0; s < 10; ++s) {
    opt->zero_grad();
    const double loss = loss_and_grad<T>(w, b);
    if (std::abs(loss - losses[s]) > rtol * std::abs(losses[s]) + 1e-12)
      return ::testing::AssertionFailure()
             << g << " step " << s << ": loss " << loss << ", PyTorch " << losses[s];
    opt->step();
  }
  if (auto ok = all_close(w.data(), fixture().at(g + "/w"), rtol, rtol); !ok)
    return ::testing::AssertionFailure() << g << " final weight: " << ok.message();
  if (auto ok = all_close(b.data(), fixture().at(g + "/b"), rtol, rtol); !ok)
    return ::testing::AssertionFailure() << g << " final bias: " << ok.message();
  return ::testing::AssertionSuccess();
}

// The same in f64 (1e-10) and f32 (2e-5).
template <typename Opt, typename Options>
::testing::AssertionResult matches_pytorch_both(const std::string& name, const Options& options) {
  auto make = [&](std::vector<ag::Var> p) -> std::unique_ptr<Optimizer> {
    return std::make_unique<Opt>(std::move(p), options);
  };
  if (auto ok = matches_pytorch<double>(name, make, 1e-10); !ok) return ok;
  return matches_pytorch<float>(name, make, 2e-5);
}

TEST(Optim, SGDMatchesPyTorchOver10Steps) {
  SGDOptions plain;
  plain.lr = 0.1;
  EXPECT_TRUE(matches_pytorch_both<SGD>("sgd_plain", plain));
  SGDOptions momentum;
  momentum.lr = 0.05, momentum.momentum = 0.9, momentum.dampening = 0.1,
  momentum.weight_decay = 0.01;
  EXPECT_TRUE(matches_pytorch_both<SGD>("sgd_momentum", momentum));
  SGDOptions nesterov;
  nesterov.lr = 0.05, nesterov.momentum = 0.8, nesterov.nesterov = true,
  nesterov.weight_decay = 0.02;
  EXPECT_TRUE(matches_pytorch_both<SGD>("sgd_nesterov", nesterov));
}

TEST(Optim, AdamAndAdamWMatchPyTorchOver10Steps) {
  AdamOptions adam;
  adam.lr = 0.05, adam.beta2 = 0.99, adam.eps = 1e-6;
  EXPECT_TRUE(matches_pytorch_both<Adam>("adam", adam));
  AdamOptions ams;
  ams.lr = 0.05, ams.weight_decay = 0.1, ams.amsgrad = true;
  EXPECT_TRUE(matches_pytorch_both<Adam>("adam_wd_amsgrad", ams));
  AdamOptions adamw = adamw_defaults();
  adamw.lr = 0.05, adamw.beta1 = 0.8, adamw.beta2 = 0.95, adamw.weight_decay = 0.3;
  EXPECT_TRUE(matches_pytorch_both<AdamW>("adamw", adamw));
  AdamOptions adamw_ams;
  adamw_ams.lr = 0.02, adamw_ams.weight_decay = 0.05, adamw_ams.amsgrad = true;
  EXPECT_TRUE(
      matches_pytorch_both<AdamW>("adamw_amsgrad", adamw_ams));  // AdamW forces decoupled decay
}

TEST(Optim, StateDictRoundTripResumesExactly) {
  AdamOptions o;
  o.lr = 0.05, o.amsgrad = true;
  auto fresh = [] {
    return std::vector<ag::Var>{ag::Var(fixture().at("w0").clone(), true),
                                ag::Var(fixture().at("b0").clone(), true)};
  };
  auto a = fresh();
  Adam full(a, o);
  for (int s = 0; s < 6; ++s) loss_and_grad<double>(a[0], a[1]), full.step();

  auto b = fresh();
  Adam first(b, o);
  for (int s = 0; s < 3; ++s) loss_and_grad<double>(b[0], b[1]), first.step();
  auto state = first.state_dict();
  EXPECT_EQ(state.at("state.0.step").item<int64_t>(), 3);
  EXPECT_TRUE(state.count("state.1.max_exp_avg_sq"));
  auto c =
      std::vector<ag::Var>{ag::Var(b[0].data().clone(), true), ag::Var(b[1].data().clone(), true)};
  Adam resumed(c, o);
  resumed.load_state_dict(state);
  for (int s = 0; s < 3; ++s) loss_and_grad<double>(c[0], c[1]), resumed.step();
  EXPECT_TRUE(test::equal(c[0].data(), a[0].data()));
  EXPECT_TRUE(test::equal(c[1].data(), a[1].data()));

  state["state.0.exp_avg"] = zeros({4, 3}, DType::F64);
  EXPECT_SP_ERROR(resumed.load_state_dict(state),
                  "expected 'state.0.exp_avg' of shape [3, 4], got [4, 3]");
  state.erase("state.0.exp_avg");
  state["state.x.exp_avg"] = zeros({4, 3}, DType::F64);
  EXPECT_SP_ERROR(resumed.load_state_dict(state), "'state.<i>.<name>', got 'state.x.exp_avg'");
}

TEST(Optim, SkipsParamsWithoutGradAndChecksArguments) {
  ag::Var w(from_vector<float>({1, 2}), true), frozen(from_vector<float>({3}), true);
  SGDOptions o;
  o.lr = 0.5;
  SGD sgd({w, frozen}, o);
  w.impl()->grad = from_vector<float>({1, 1});
  sgd.step();
  EXPECT_EQ(w.data().to_vector<float>(), (std::vector<float>{0.5f, 1.5f}));
  EXPECT_EQ(frozen.data().to_vector<float>(), (std::vector<float>{3}));
  w.impl()->grad = from_vector<float>({1, 1, 1});
  EXPECT_SP_ERROR(sgd.step(), "expected the grad of parameter 0 to match f32[2]");
  EXPECT_SP_ERROR(SGD({ag::Var(zeros({2}), false)}, o), "leaf with requires_grad");
  SGDOptions bad;
  bad.nesterov = true;
  EXPECT_SP_ERROR(SGD({w}, bad), "nesterov");
  EXPECT_SP_ERROR(sgd.set_lr(-1), "learning rate >= 0");
}

TEST(Optim, LRSchedulesMatchPyTorch) {
  auto check = [](const char* name, const LRSchedule& s) {
    auto want = fixture().at(std::string("lr/") + name).to_vector<double>();
    for (int t = 0; t < int(want.size()); ++t)
      EXPECT_NEAR(s.lr(t), want[t], 1e-12) << name << " t=" << t;
  };
  check("step", StepLR(0.1, 7, 0.5));
  check("multistep", MultiStepLR(0.1, {3, 10, 11}, 0.3));
  check("exponential", ExponentialLR(0.1, 0.9));
  check("cosine", CosineAnnealingLR(0.1, 30, 0.001));
  check("linear", LinearLR(0.1, 0.1, 1.0, 5));
  WarmupThen warm(4, 0.25, std::make_unique<CosineAnnealingLR>(0.1, 10));
  EXPECT_DOUBLE_EQ(warm.lr(0), 0.025);
  EXPECT_DOUBLE_EQ(warm.lr(2), 0.0625);
  EXPECT_DOUBLE_EQ(warm.lr(4), 0.1);
  EXPECT_NEAR(warm.lr(14), 0.0, 1e-15);
  ag::Var p(zeros({1}), true);
  SGD sgd({p}, SGDOptions{});
  warm.apply(sgd, 2);
  EXPECT_DOUBLE_EQ(sgd.lr(), 0.0625);
  EXPECT_SP_ERROR(StepLR(0.1, 0), "step_size > 0");
}

TEST(Optim, ClipGradNormMatchesPyTorch) {
  for (auto [tag, p] : {std::pair{"l2", 2.0}, {"inf", std::numeric_limits<double>::infinity()}}) {
    SCOPED_TRACE(tag);
    ag::Var a(zeros({3, 4}, DType::F64), true), b(zeros({5}, DType::F64), true),
        none(zeros({2}), true);
    a.impl()->grad = fixture().at("clip/g1").clone();
    b.impl()->grad = fixture().at("clip/g2").clone();
    double total = clip_grad_norm_({a, b, none}, 1.5, p);
    std::string g = std::string("clip/") + tag;
    EXPECT_NEAR(total, fixture().at(g + "/total").item<double>(), 1e-12);
    EXPECT_TRUE(all_close(a.grad(), fixture().at(g + "/g1"), 1e-12, 1e-14));
    EXPECT_TRUE(all_close(b.grad(), fixture().at(g + "/g2"), 1e-12, 1e-14));
  }
}

}  // namespace
}  // namespace sp::nn::optim

namespace sp::nn::optim {
namespace {

// Deterministic awkward values without a random generator.
Tensor wavy(int64_t n, double phase, DType dtype) {
  std::vector<double> v(n);
  for (int64_t k = 0; k < n; ++k) v[k] = std::sin(0.37 * k + phase) * (1 + (k % 7));
  return from_vector(v, {n}).to(dtype);
}

TEST(OptimGpu, FusedUpdatesMatchTheCpuLoops) {
  SP_SKIP_WITHOUT_GPU();
  for (DType dtype : {DType::F32, DType::F64}) {
    double tol = dtype == DType::F32 ? 1e-5 : 1e-12;
    for (int64_t n : {int64_t(0), int64_t(1), int64_t(7), int64_t(100003)}) {
      SCOPED_TRACE(std::to_string(n));
      for (bool amsgrad : {false, true}) {
        AdamOptions o = amsgrad ? adamw_defaults() : AdamOptions{};
        o.amsgrad = amsgrad;
        o.weight_decay = 0.1;
        Tensor p = wavy(n, 0.0, dtype), m = zeros({n}, dtype), v = zeros({n}, dtype),
               vm = zeros({n}, dtype);
        Tensor pc = p.cuda(), mc = m.cuda(), vc = v.cuda(), vmc = vm.cuda();
        for (int64_t step = 1; step <= 3; ++step) {
          Tensor g = wavy(n, double(step), dtype);
          adam_update({p}, {g}, {m}, {v}, {vm}, step, o);
          adam_update({pc}, {g.cuda()}, {mc}, {vc}, {vmc}, step, o);
        }
        EXPECT_TRUE(test::all_close(pc.cpu(), p, tol, tol));
        EXPECT_TRUE(test::all_close(vmc.cpu(), vm, tol, tol));
      }
      SGDOptions s;
      s.lr = 0.1, s.momentum = 0.9, s.nesterov = true, s.weight_decay = 0.01;
      Tensor p = wavy(n, 0.5, dtype), pc = p.cuda();
      std::vector<Tensor> buf(1), bufc(1);
      for (int step = 0; step < 3; ++step) {
        Tensor g = wavy(n, 2.0 + step, dtype);
        sgd_update({p}, {g}, buf, s);
        sgd_update({pc}, {g.cuda()}, bufc, s);
      }
      EXPECT_TRUE(test::all_close(pc.cpu(), p, tol, tol));
      EXPECT_TRUE(bufc[0].is_cuda());
    }
  }
}

}  // namespace
}  // namespace sp::nn::optim

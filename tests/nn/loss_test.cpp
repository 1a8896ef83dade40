// Losses against PyTorch (tests/reference/nn_layers.py) plus gradchecks and errors.
#include "nn/loss.h"

#include <gtest/gtest.h>

#include <cmath>

#include "autograd/functions/reduce.h"
#include "autograd/gradcheck.h"
#include "autograd/operators.h"
#include "helpers/test_helpers.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/operators.h"

namespace sp::nn {
namespace {

using F::Reduction;
using test::all_close;

const std::map<std::string, Tensor>& fx() {
  static const auto f = test::load_fixture("nn_layers.h5");
  return f;
}
const Tensor& get(const std::string& key) {
  return fx().at(key);
}

// Runs loss_fn on a fresh leaf, backpropagates sum(y * g) and compares y and dy/dx.
template <typename Fn>
void expect_matches(const Tensor& input, Fn loss_fn, const std::string& y_key,
                    const std::string& gx_key, const std::string& g_key = "") {
  SCOPED_TRACE(y_key);
  ag::Var x(input.clone(), true);
  ag::Var y = loss_fn(x);
  EXPECT_TRUE(all_close(y.data(), get(y_key), 1e-5, 1e-6));
  ag::backward(g_key.empty() ? y : ag::sum(y * ag::Var(get(g_key))));
  EXPECT_TRUE(all_close(x.grad(), get(gx_key), 1e-5, 1e-6));
}

Reduction parse(const std::string& r) {
  return r == "none" ? Reduction::None : r == "sum" ? Reduction::Sum : Reduction::Mean;
}

TEST(Loss, CrossEntropyWeightsIgnoreIndexEveryReduction) {
  for (std::string red : {"none", "sum", "mean"}) {
    F::CrossEntropyOptions o;
    o.weight = get("ce/weight");
    o.ignore_index = -1;
    o.reduction = parse(red);
    expect_matches(
        get("ce/logits"),
        [&](const ag::Var& x) { return F::cross_entropy(x, get("ce/target"), o); }, "ce/y_" + red,
        "ce/gx_" + red, "ce/g_" + red);
  }
  F::CrossEntropyOptions o;
  o.weight = get("ce/weight");
  o.ignore_index = -1;
  o.mask = get("ce/mask");
  expect_matches(
      get("ce/logits"), [&](const ag::Var& x) { return F::cross_entropy(x, get("ce/target"), o); },
      "ce/y_masked", "ce/gx_masked");
  expect_matches(
      get("ce2d/logits"), [&](const ag::Var& x) { return F::cross_entropy(x, get("ce2d/target")); },
      "ce2d/y", "ce2d/gx");
}

TEST(Loss, CrossEntropyNonContiguousLogitsAndErrors) {
  // [N, H, W, C] permuted to [N, C, H, W]: a non-contiguous view.
  Tensor nhwc = get("ce/logits").permute({0, 2, 3, 1}).contiguous();
  F::CrossEntropyOptions o;
  o.weight = get("ce/weight");
  o.ignore_index = -1;
  ag::Var y = F::cross_entropy(ag::Var(nhwc.permute({0, 3, 1, 2})), get("ce/target"), o);
  EXPECT_TRUE(all_close(y.data(), get("ce/y_mean"), 1e-5, 1e-6));
  Tensor logits = get("ce2d/logits");
  EXPECT_SP_ERROR(F::cross_entropy(ag::Var(logits), from_vector<int64_t>({0, 1, 2, 3, 0})),
                  "expected targets in [0, 3) or ignore_index -100, got values in [0, 3]");
  EXPECT_SP_ERROR(F::cross_entropy(ag::Var(logits), zeros({4}, DType::I64)),
                  "expected an i64 target [5]");
  o.weight = ones({4});
  EXPECT_SP_ERROR(F::cross_entropy(ag::Var(logits), zeros({5}, DType::I64), o),
                  "expected a class weight [3]");
  // Size-0 batch: sum is 0.
  F::CrossEntropyOptions s;
  s.reduction = Reduction::Sum;
  EXPECT_EQ(F::cross_entropy(ag::Var(zeros({0, 3})), zeros({0}, DType::I64), s).item<float>(),
            0.0f);
}

TEST(Loss, CrossEntropyGradcheck) {
  Tensor logits = get("ce/logits").to(DType::F64);
  F::CrossEntropyOptions o;
  o.weight = get("ce/weight");
  o.ignore_index = -1;
  o.mask = get("ce/mask");
  auto fn = [&](const std::vector<ag::Var>& in) {
    return F::cross_entropy(in[0], get("ce/target"), o);
  };
  auto r = ag::gradcheck(fn, {logits});
  EXPECT_TRUE(r.ok) << r.message;
}

TEST(Loss, BceWithLogitsGradcheck) {
  F::BceWithLogitsOptions o;
  o.pos_weight = get("bce/pos_weight");
  o.weight = get("bce/w");
  // Scaled so that +-40 becomes +-2; the exact 0 stays (the tie in min(x, 0) has slope 1/2).
  Tensor x = get("bce/x").to(DType::F64) * 0.05;
  auto fn = [&](const std::vector<ag::Var>& in) {
    return F::binary_cross_entropy_with_logits(in[0], get("bce/t"), o);
  };
  auto r = ag::gradcheck(fn, {x});
  EXPECT_TRUE(r.ok) << r.message;
}

TEST(Loss, BceWithLogitsPosWeightStable) {
  for (std::string name : {"plain", "pos"}) {
    for (std::string red : {"none", "mean", "sum"}) {
      F::BceWithLogitsOptions o;
      if (name == "pos") o.pos_weight = get("bce/pos_weight"), o.weight = get("bce/w");
      o.reduction = parse(red);
      std::string k = name + "_" + red;
      expect_matches(
          get("bce/x"),
          [&](const ag::Var& x) { return F::binary_cross_entropy_with_logits(x, get("bce/t"), o); },
          "bce/y_" + k, "bce/gx_" + k, "bce/g_" + k);
    }
  }
  EXPECT_SP_ERROR(F::binary_cross_entropy_with_logits(ag::Var(ones({2, 3})), ones({3, 2})),
                  "expected a target [2, 3]");
}

TEST(Loss, NormalizeAndMargins) {
  expect_matches(
      get("normalize/x"), [](const ag::Var& x) { return F::normalize(x, 2.0, 1); }, "normalize/y",
      "normalize/gx", "normalize/g");
  ag::Var x(from_vector<float>({-1.0f, 0.5f, 1.5f}), true);
  EXPECT_TRUE(
      test::equal(F::positive_margin_loss(x, 1.0).data(), from_vector<float>({2.0f, 0.5f, 0.0f})));
  EXPECT_TRUE(
      all_close(F::negative_margin_loss(x, 0.2).data(), from_vector<float>({0.0f, 0.3f, 1.3f})));
  ag::backward(ag::sum(F::positive_margin_loss(x, 1.0) + F::negative_margin_loss(x, 0.2)));
  EXPECT_TRUE(test::equal(x.grad(), from_vector<float>({-1.0f, 0.0f, 1.0f})));
}

}  // namespace
}  // namespace sp::nn

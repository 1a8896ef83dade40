// layer_norm, group_norm, instance_norm kernels (forward and backward) against PyTorch
// (tests/reference/group_norm.py): f64 and f32, non-contiguous inputs, empty inputs,
// error messages.
#include "tensor/ops/group_norm.h"

#include <gtest/gtest.h>

#include <functional>

#include "helpers/test_helpers.h"
#include "tensor/ops/creation.h"

namespace sp {
namespace {

using test::all_close;

const std::map<std::string, Tensor>& data() {
  static const auto d = test::load_fixture("group_norm.h5");
  return d;
}
Tensor get(const std::string& k, DType dt = DType::F64) {
  auto it = data().find(k);
  return it == data().end() ? Tensor() : it->second.to(dt).clone();
}

struct NormCase {
  const char* name;
  std::function<GroupNormResult(const Tensor&, const Tensor&, const Tensor&)> forward;
  std::function<GroupNormGrads(const Tensor&, const Tensor&, const Tensor&, const GroupNormResult&)>
      backward;
};

std::vector<NormCase> cases() {
  auto ln = [](std::vector<int64_t> shape) {
    return NormCase{
        nullptr,
        [shape](const Tensor& x, const Tensor& w, const Tensor& b) {
          return layer_norm(x, shape, w, b);
        },
        [shape](const Tensor& g, const Tensor& x, const Tensor& w, const GroupNormResult& r) {
          return layer_norm_backward(g, x, shape, w, r.mean, r.rstd);
        }};
  };
  auto gn = [](int64_t groups) {
    return NormCase{
        nullptr,
        [groups](const Tensor& x, const Tensor& w, const Tensor& b) {
          return group_norm(x, groups, w, b);
        },
        [groups](const Tensor& g, const Tensor& x, const Tensor& w, const GroupNormResult& r) {
          return group_norm_backward(g, x, groups, w, r.mean, r.rstd);
        }};
  };
  NormCase in{
      nullptr,
      [](const Tensor& x, const Tensor& w, const Tensor& b) { return instance_norm(x, w, b); },
      [](const Tensor& g, const Tensor& x, const Tensor& w, const GroupNormResult& r) {
        return group_norm_backward(g, x, x.size(1), w, r.mean, r.rstd);
      }};
  std::vector<std::pair<const char*, NormCase>> named = {
      {"ln", ln({16})},    {"ln2d", ln({3, 4})}, {"ln_plain", ln({7})},
      {"ln_one", ln({1})}, {"gn", gn(2)},        {"gn_plain", gn(3)},
      {"in", in},          {"in_plain", in}};
  std::vector<NormCase> out;
  for (auto& [name, c] : named) {
    c.name = name;
    out.push_back(c);
  }
  return out;
}

TEST(GroupNorm, ForwardAndBackwardMatchPyTorch) {
  for (const NormCase& c : cases()) {
    for (DType dt : {DType::F64, DType::F32}) {
      SCOPED_TRACE(std::string(c.name) + " " + name(dt));
      const double tol = dt == DType::F64 ? 1e-11 : 2e-5;
      const std::string p = std::string(c.name) + "/";
      Tensor x = get(p + "x", dt), w = get(p + "w", dt), b = get(p + "b", dt), g = get(p + "g", dt);
      GroupNormResult r = c.forward(x, w, b);
      EXPECT_TRUE(all_close(r.output, get(p + "y", dt), tol, tol));
      GroupNormGrads gr = c.backward(g, x, w, r);
      EXPECT_TRUE(all_close(gr.grad_input, get(p + "gx", dt), tol * 10, tol * 10));
      if (w.defined()) {
        EXPECT_TRUE(all_close(gr.grad_weight, get(p + "gw", dt), tol * 10, tol * 10));
        EXPECT_TRUE(all_close(gr.grad_bias, get(p + "gb", dt), tol * 10, tol * 10));
      }
      // The same through a non-contiguous view of x and grad.
      Tensor xt = x.transpose(0, 1).contiguous().transpose(0, 1);
      Tensor gt = g.transpose(0, 1).contiguous().transpose(0, 1);
      EXPECT_TRUE(all_close(c.forward(xt, w, b).output, r.output, 0, 0));
      EXPECT_TRUE(all_close(c.backward(gt, xt, w, r).grad_input, gr.grad_input, 0, 0));
    }
  }
}

TEST(GroupNorm, HalfComputesInFloatAndLargeGroupsStayAccurate) {
  Tensor x = test::lcg_uniform({2, 300}, 1, -3, 3, 5);
  Tensor w = test::lcg_uniform({300}, 2, 0.5, 1.5, 5), b = test::lcg_uniform({300}, 3, -1, 1, 5);
  Tensor ref = layer_norm(x, {300}, w, b).output;
  for (DType dt : {DType::F16, DType::BF16}) {
    GroupNormResult r = layer_norm(x.to(dt), {300}, w.to(dt), b.to(dt));
    EXPECT_EQ(r.output.dtype(), dt);
    EXPECT_EQ(r.mean.dtype(), DType::F32);
    EXPECT_TRUE(all_close(r.output.to(DType::F64), ref, 2e-2, 2e-2));
  }
  // A 1M-element instance with a large offset: the mean/variance stay exact to f32.
  Tensor big = test::lcg_uniform({1, 1, 1024, 1024}, 4, 999, 1001, 5);
  GroupNormResult r32 = instance_norm(big.to(DType::F32), Tensor(), Tensor());
  GroupNormResult r64 = instance_norm(big, Tensor(), Tensor());
  EXPECT_TRUE(all_close(r32.output.to(DType::F64), r64.output, 1e-3, 1e-3));
  EXPECT_NEAR(r32.mean.item<double>(), r64.mean.item<double>(), 1e-4);
}

TEST(GroupNorm, EmptyInputs) {
  GroupNormResult r = layer_norm(zeros({0, 8}), {8}, ones({8}), zeros({8}));
  EXPECT_EQ(r.output.shape(), (Shape{0, 8}));
  EXPECT_EQ(r.mean.shape(), (Shape{0, 1}));
  GroupNormGrads g =
      layer_norm_backward(zeros({0, 8}), zeros({0, 8}), {8}, ones({8}), r.mean, r.rstd);
  EXPECT_TRUE(all_close(g.grad_weight, zeros({8}), 0, 0));
  GroupNormResult e = instance_norm(zeros({2, 3, 0, 4}), Tensor(), Tensor());
  EXPECT_EQ(e.output.shape(), (Shape{2, 3, 0, 4}));
  GroupNormResult one =
      group_norm(full({1, 2, 1}, 3.0), 2, Tensor(), Tensor());  // one element per group
  EXPECT_TRUE(all_close(one.output, zeros({1, 2, 1}), 0, 0));
}

TEST(GroupNorm, ErrorsNameShapes) {
  EXPECT_SP_ERROR(layer_norm(zeros({4, 7}), {8}, Tensor(), Tensor()),
                  "layer_norm: expected an input [*, 8] for normalized_shape [8], got [4, 7]");
  EXPECT_SP_ERROR(layer_norm(zeros({4, 8}), {8}, zeros({7}), Tensor()),
                  "layer_norm: expected weight of shape [8] for input [4, 8], got [7]");
  EXPECT_SP_ERROR(layer_norm(zeros({4, 8}), {8}, zeros({8}, DType::F64), Tensor()),
                  "layer_norm: expected weight of dtype f32 like the input, got f64");
  EXPECT_SP_ERROR(
      group_norm(zeros({2, 6, 3}), 4, Tensor(), Tensor()),
      "group_norm: expected a number of groups dividing the 6 channels of input [2, 6, 3], got 4");
  EXPECT_SP_ERROR(instance_norm(zeros({2, 6}), Tensor(), Tensor()),
                  "instance_norm: expected an input [N, C, *]");
  EXPECT_SP_ERROR(layer_norm(zeros({2, 6}, DType::I64), {6}, Tensor(), Tensor()),
                  "layer_norm: expected input of a floating dtype");
}

}  // namespace
}  // namespace sp

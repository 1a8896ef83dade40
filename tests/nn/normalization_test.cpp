// GroupNorm, InstanceNorm2d (with tracked running statistics), PReLU and GELU('tanh')
// modules against PyTorch (tests/reference/group_norm.py, activation.py).
#include "nn/normalization.h"

#include <gtest/gtest.h>

#include "autograd/functions/reduce.h"
#include "autograd/operators.h"
#include "helpers/test_helpers.h"
#include "nn/activation.h"
#include "tensor/ops/creation.h"

namespace sp::nn {
namespace {

using test::all_close;

Tensor norm_fx(const std::string& k) {
  static const auto f = test::load_fixture("group_norm.h5");
  return f.at(k).clone();
}
Tensor act_fx(const std::string& k) {
  static const auto f = test::load_fixture("activation.h5");
  return f.at(k).clone();
}

TEST(Normalization, GroupNormModuleMatchesPyTorch) {
  GroupNorm gn(2, 6);
  gn.to(DType::F64);
  gn.load_state_dict({{"weight", norm_fx("gn/w")}, {"bias", norm_fx("gn/b")}});
  ag::Var x(norm_fx("gn/x"), true);
  ag::Var y = gn(x);
  EXPECT_TRUE(all_close(y.data(), norm_fx("gn/y"), 1e-11, 1e-11));
  ag::backward(ag::sum(y * ag::Var(norm_fx("gn/g"))));
  EXPECT_TRUE(all_close(x.grad(), norm_fx("gn/gx"), 1e-10, 1e-10));
  EXPECT_TRUE(all_close(gn.param("weight").grad(), norm_fx("gn/gw"), 1e-10, 1e-10));
  EXPECT_SP_ERROR(GroupNorm(4, 6), "GroupNorm: expected num_channels divisible by num_groups");
  EXPECT_SP_ERROR(gn(ag::Var(zeros({2, 5, 3}, DType::F64))),
                  "GroupNorm: expected an input [N, 6, *], got [2, 5, 3]");
}

TEST(Normalization, InstanceNorm2dDefaultsAndRunningStats) {
  InstanceNorm2d plain(5);  // PyTorch's defaults: no parameters, no buffers
  EXPECT_TRUE(plain.state_dict().empty());
  plain.to(DType::F64);
  EXPECT_TRUE(
      all_close(plain(ag::Var(norm_fx("in_plain/x"))).data(), norm_fx("in_plain/y"), 1e-11, 1e-11));
  // Unbatched [C, H, W] input gives the batched result's first sample.
  Tensor x0 = norm_fx("in_plain/x")[0];
  EXPECT_TRUE(all_close(plain(ag::Var(x0)).data(), norm_fx("in_plain/y")[0], 1e-11, 1e-11));

  InstanceNorm2d tracked(3, BatchNormOptions{1e-5, 0.1, true, true});
  tracked.to(DType::F64);
  tracked.load_state_dict({{"weight", norm_fx("in_track/weight")},
                           {"bias", norm_fx("in_track/bias")},
                           {"running_mean", zeros({3}, DType::F64)},
                           {"running_var", ones({3}, DType::F64)},
                           {"num_batches_tracked", zeros({}, DType::I64)}});
  Tensor x = norm_fx("in_track/x");
  EXPECT_TRUE(all_close(tracked(ag::Var(x)).data(), norm_fx("in_track/y_train"), 1e-11, 1e-11));
  EXPECT_TRUE(
      all_close(tracked.buffer("running_mean"), norm_fx("in_track/running_mean"), 1e-12, 1e-12));
  EXPECT_TRUE(
      all_close(tracked.buffer("running_var"), norm_fx("in_track/running_var"), 1e-12, 1e-12));
  tracked.eval();
  EXPECT_TRUE(all_close(tracked(ag::Var(x)).data(), norm_fx("in_track/y_eval"), 1e-11, 1e-11));
}

TEST(Normalization, PReLUAndGeluTanhModules) {
  PReLU prelu(3);
  EXPECT_TRUE(all_close(prelu.param("weight").data(), full({3}, 0.25), 0, 0));
  prelu.to(DType::F64);
  prelu.load_state_dict({{"weight", act_fx("prelu4d/w")}});
  ag::Var x(act_fx("prelu4d/x"), true);
  ag::Var y = prelu(x);
  EXPECT_TRUE(all_close(y.data(), act_fx("prelu4d/y"), 1e-14, 1e-14));
  ag::backward(ag::sum(y * ag::Var(act_fx("prelu4d/gy"))));
  EXPECT_TRUE(all_close(prelu.param("weight").grad(), act_fx("prelu4d/gw"), 1e-12, 1e-12));
  GELU gelu(GeluApproximate::Tanh);
  EXPECT_TRUE(all_close(gelu(ag::Var(act_fx("x"))).data(), act_fx("gelu_tanh"), 1e-12, 1e-14));
}

}  // namespace
}  // namespace sp::nn

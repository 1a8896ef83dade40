// The matcher NLL loss against Glue Factory's two variants (tests/reference/
// models_superglue.py: gluefactory_nonfree SuperGlue.loss and models/utils/losses.py
// NLLLoss) on an f64 log-assignment with matched, unmatched and ignored points, plus an f64
// gradcheck.
#include "models/match_loss.h"

#include <gtest/gtest.h>

#include "autograd/functions/reduce.h"
#include "autograd/gradcheck.h"
#include "helpers/test_helpers.h"
#include "tensor/ops/creation.h"

namespace sp::models {
namespace {

TEST(MatchLoss, MatchesGlueFactoryJointAndPerSideNormalisation) {
  auto fx = test::load_fixture("models_superglue.h5");
  const Tensor la = fx.at("loss/log_assignment");
  for (const char* variant : {"joint", "per_side"}) {
    SCOPED_TRACE(variant);
    MatchLossOptions o;
    o.negatives = std::string(variant) == "joint" ? NegativeNormalization::Joint
                                                  : NegativeNormalization::PerSide;
    ag::Var x(la.clone(), /*requires_grad=*/true);
    MatchLoss l = match_nll_loss(x, fx.at("loss/gt_matches0"), fx.at("loss/gt_matches1"), o);
    const std::string pre = std::string("loss/") + variant + "/";
    EXPECT_TRUE(test::all_close(l.nll.data(), fx.at(pre + "total"), 1e-10, 1e-12));
    EXPECT_TRUE(test::all_close(l.nll_neg, fx.at(pre + "nll_neg"), 1e-10, 1e-12));
    ag::backward(ag::sum(l.nll));
    EXPECT_TRUE(test::all_close(x.grad(), fx.at(pre + "grad"), 1e-10, 1e-12));
  }
  // The last pair has no unmatched point in image 1: the variants differ there.
  EXPECT_NE(fx.at("loss/joint/total").to_vector<double>()[2],
            fx.at("loss/per_side/total").to_vector<double>()[2]);
}

TEST(MatchLoss, GradcheckF64) {
  auto fx = test::load_fixture("models_superglue.h5");
  const Tensor g0 = fx.at("loss/gt_matches0"), g1 = fx.at("loss/gt_matches1");
  for (auto neg : {NegativeNormalization::Joint, NegativeNormalization::PerSide}) {
    auto fn = [&](const std::vector<ag::Var>& in) {
      return match_nll_loss(in[0], g0, g1, {0.3, neg}).nll;
    };
    ag::GradcheckResult r = ag::gradcheck(fn, {fx.at("loss/log_assignment")});
    EXPECT_TRUE(r.ok) << r.message;
    EXPECT_GT(r.elements_checked, 0);
  }
}

TEST(MatchLoss, IgnoredPointsAndPaddingContributeNothing) {
  // One pair, 2 x 2 points: (0, 1) positive, point 1 of image 0 ignored, point 0 of image 1
  // unmatched. Huge values where only ignored entries sit must not change the loss.
  Tensor la = full({1, 3, 3}, -1.0, DType::F64);
  const Tensor g0 = from_vector<int64_t>({1, -2}, Shape{1, 2});
  const Tensor g1 = from_vector<int64_t>({-1, 0}, Shape{1, 2});
  const double base = match_nll_loss(ag::Var(la), g0, g1).nll.data().to_vector<double>()[0];
  EXPECT_DOUBLE_EQ(base, 0.5 * 1.0 + 0.5 * 1.0);
  la.select(1, 1).fill_(-1e9);  // row of the ignored point (its dustbin entry included)
  EXPECT_DOUBLE_EQ(match_nll_loss(ag::Var(la), g0, g1).nll.data().to_vector<double>()[0], base);
}

TEST(MatchLoss, ShapeMismatchNamesBothShapes) {
  const Tensor la = zeros({2, 4, 5}, DType::F32);
  EXPECT_SP_ERROR(match_nll_loss(ag::Var(la), zeros({2, 3}, DType::I64), zeros({2, 3}, DType::I64)),
                  "gt_matches1 [2, 4]");
  EXPECT_SP_ERROR(match_nll_loss(ag::Var(zeros({2, 4}, DType::F32)), zeros({2, 3}, DType::I64),
                                 zeros({2, 4}, DType::I64)),
                  "log-assignment [B, N + 1, M + 1]");
}

}  // namespace
}  // namespace sp::models

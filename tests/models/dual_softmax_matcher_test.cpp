// The trainable two-view path: a two_view_pipeline with the dual-softmax matcher and a
// homography ground truth, on cached features (no extraction) whose geometry is known.
#include "models/dual_softmax_matcher.h"

#include <gtest/gtest.h>

#include <cmath>

#include "autograd/var.h"
#include "helpers/test_helpers.h"
#include "models/two_view_pipeline.h"
#include "nn/optim/sgd.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/random.h"

namespace sp::models {
namespace {

constexpr int64_t kN = 12, kD = 8;

std::shared_ptr<TwoViewPipeline> pipeline(const std::string& gt = "homography") {
  std::map<std::string, std::string> c = {
      {"extractor.name", "superpoint"},   {"extractor.width", "0.25"},
      {"extractor.descriptor_dim", "8"},  {"matcher.name", "dual_softmax"},
      {"matcher.descriptor_dim", "8"},    {"matcher.temperature", "0.1"},
      {"matcher.match_threshold", "0.01"}};
  if (!gt.empty()) c["ground_truth.name"] = gt;
  MapConfig config(c);
  manual_seed(5);
  return TwoViewPipeline::from(config);
}

// Batch of one pair: image 1's keypoints are image 0's shifted by (+5, +2) px, in reversed
// order, with the same descriptors; image 0's last keypoint has no partner (it lands far
// from every keypoint of image 1), and image 1 has a padded slot.
Batch shifted_pair(bool with_homography = true) {
  std::vector<float> kp0, kp1, d0, d1;
  const Tensor desc = test::lcg_uniform({kN, kD}, 7, -1, 1, 13).to(DType::F32);
  const std::vector<float> dv = desc.to_vector<float>();
  for (int64_t i = 0; i < kN; ++i) {
    kp0.insert(kp0.end(), {float(10 + 17 * i), float(20 + 9 * (i % 4))});
    d0.insert(d0.end(), dv.begin() + i * kD, dv.begin() + (i + 1) * kD);
  }
  // Image 1: partners of keypoints kN-2 ... 0, then a padded slot.
  for (int64_t j = 0; j < kN; ++j) {
    const int64_t i = kN - 2 - j;
    if (i >= 0) {
      kp1.insert(kp1.end(), {kp0[size_t(2 * i)] + 5.f, kp0[size_t(2 * i + 1)] + 2.f});
      d1.insert(d1.end(), dv.begin() + i * kD, dv.begin() + (i + 1) * kD);
    } else {
      kp1.insert(kp1.end(), {0.f, 0.f});
      d1.insert(d1.end(), size_t(kD), 0.f);
    }
  }
  std::vector<uint8_t> mask1(size_t(kN), 1);
  mask1.back() = 0;
  Batch b("batch");
  b.set("keypoints0", from_vector(kp0, {1, kN, 2}));
  b.set("keypoints1", from_vector(kp1, {1, kN, 2}));
  b.set("descriptors0", from_vector(d0, {1, kN, kD}));
  b.set("descriptors1", from_vector(d1, {1, kN, kD}));
  b.set("keypoint_mask1", from_vector(mask1, {1, kN}).to(DType::Bool));
  if (with_homography) b.set("H_0to1", from_vector<float>({1, 0, 5, 0, 1, 2, 0, 0, 1}, {1, 3, 3}));
  return b;
}

TEST(DualSoftmaxMatcher, GroundTruthLabelsAndMatchesFollowTheHomography) {
  auto p = pipeline();
  const Batch batch = shifted_pair();
  const Predictions pred = p->run(batch);
  const std::vector<int64_t> gt0 = pred.at("gt_matches0").data().to_vector<int64_t>();
  for (int64_t i = 0; i < kN - 1; ++i) EXPECT_EQ(gt0[size_t(i)], kN - 2 - i) << "point " << i;
  EXPECT_EQ(gt0.back(), -1);  // no partner within th_negative
  const std::vector<int64_t> gt1 = pred.at("gt_matches1").data().to_vector<int64_t>();
  EXPECT_EQ(gt1.back(), -2);  // padding: ignored (geometry/gt_matches.h)
  EXPECT_EQ(pred.at("gt_assignment").data().shape(), (Shape{1, kN, kN}));

  // Same descriptors on both sides: the projection keeps them most similar to their
  // partner, so the untrained matcher already finds the ground truth.
  const std::vector<int64_t> m0 = pred.at("matches0").data().to_vector<int64_t>();
  for (int64_t i = 0; i < kN - 1; ++i) EXPECT_EQ(m0[size_t(i)], kN - 2 - i) << "point " << i;
  const std::vector<int64_t> m1 = pred.at("matches1").data().to_vector<int64_t>();
  EXPECT_EQ(m1.back(), -1);
  const std::map<std::string, double> metrics = p->metrics(pred, batch);
  EXPECT_DOUBLE_EQ(metrics.at("match_recall"), 1.0);
  EXPECT_GT(metrics.at("match_precision"), 0.9);
}

TEST(DualSoftmaxMatcher, LossIsTheMeanNllOfPositivesAndTrainingLowersIt) {
  auto p = pipeline();
  p->train();
  const Batch batch = shifted_pair();
  Predictions pred = p->run(batch);
  Losses l = p->loss(pred, batch);
  // By hand: -mean over the kN - 1 positives of log P[i, gt(i)].
  const Tensor log_p = pred.at("log_assignment").data();
  const std::vector<int64_t> gt0 = pred.at("gt_matches0").data().to_vector<int64_t>();
  double nll = 0;
  for (int64_t i = 0; i < kN - 1; ++i)
    nll -= log_p.select(0, 0).select(0, i).select(0, gt0[size_t(i)]).item<double>();
  nll /= double(kN - 1);
  const double first = l.total.data().item<double>();
  EXPECT_NEAR(first, nll, 1e-4 * std::max(1.0, nll));
  EXPECT_GT(first, 0.0);

  nn::optim::SGDOptions o;
  o.lr = 0.5;
  nn::optim::SGD sgd(p->matcher().parameters(), o);
  for (int step = 0; step < 10; ++step) {
    sgd.zero_grad();
    pred = p->run(batch);
    l = p->loss(pred, batch);
    ag::backward(l.total);
    sgd.step();
  }
  const double last = p->loss(p->run(batch), batch).total.data().item<double>();
  EXPECT_LT(last, 0.9 * first);
  // The frozen extractor gets no gradient.
  for (const ag::Var& w : p->extractor().parameters()) EXPECT_FALSE(w.grad().defined());
}

TEST(DualSoftmaxMatcher, LossWithoutGroundTruthAndBadDescriptorsFailClearly) {
  auto p = pipeline("");
  const Batch batch = shifted_pair();
  const Predictions pred = p->run(batch);
  EXPECT_SP_ERROR(p->loss(pred, batch), "expected gt_assignment");
  Batch wrong = shifted_pair();
  wrong.set("descriptors0", zeros({1, kN, 4}));
  EXPECT_SP_ERROR(p->run(wrong), "[1, 12, 4]");
  // Without the geometry (inference batches) forward matches but labels nothing; the loss
  // then names what is missing.
  auto q = pipeline();
  const Batch no_h = shifted_pair(false);
  const Predictions unlabelled = q->run(no_h);
  EXPECT_TRUE(unlabelled.has("matches0"));
  EXPECT_FALSE(unlabelled.has("gt_assignment"));
  EXPECT_SP_ERROR(q->loss(unlabelled, no_h), "H_0to1");
  MapConfig bad({{"extractor.name", "superpoint"},
                 {"matcher.name", "dual_softmax"},
                 {"ground_truth.name", "lidar"}});
  EXPECT_SP_ERROR(TwoViewPipeline::from(bad), "homography or depth, got 'lidar'");
}

}  // namespace
}  // namespace sp::models

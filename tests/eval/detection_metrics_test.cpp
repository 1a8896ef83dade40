#include "eval/detection_metrics.h"

#include <gtest/gtest.h>

#include "helpers/test_helpers.h"
#include "tensor/ops/creation.h"

namespace sp::eval {
namespace {

TEST(DetectionEval, PrecisionRecallAndAveragePrecision) {
  DetectionEvaluator e(/*distance=*/2.0, /*threshold=*/0.5);
  // Truth: (10, 10), (20, 20), (30, 30). Detections by score: hit, miss, hit (below the
  // threshold), and a duplicate of the first hit (a false positive: one-to-one).
  Tensor kp = from_vector<float>({10.5f, 10.f, 50.f, 50.f, 29.f, 31.f, 10.f, 11.f}, {4, 2});
  Tensor sc = from_vector<float>({0.9f, 0.8f, 0.3f, 0.2f});
  Tensor gt = from_vector<float>({10.f, 10.f, 20.f, 20.f, 30.f, 30.f}, {3, 2});
  e.add(kp, sc, gt);
  DetectionScore r = e.result();
  EXPECT_EQ(r.detections, 2);
  EXPECT_EQ(r.true_positives, 1);
  EXPECT_DOUBLE_EQ(r.precision, 0.5);
  EXPECT_DOUBLE_EQ(r.recall, 1.0 / 3);
  EXPECT_DOUBLE_EQ(r.localization_error, 0.5);
  // Curve: (R 1/3, P 1), (1/3, 1/2), (2/3, 2/3), (2/3, 1/2): AP = 1/3 * 1 + 1/3 * 2/3.
  EXPECT_NEAR(r.average_precision, 1.0 / 3 + 2.0 / 9, 1e-12);
  EXPECT_SP_ERROR(e.add(kp, sc, from_vector<float>({1.f, 2.f, 3.f})), "truth [M, 2]");
}

}  // namespace
}  // namespace sp::eval

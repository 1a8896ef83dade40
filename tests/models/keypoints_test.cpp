#include "models/keypoints.h"

#include <gtest/gtest.h>

#include "helpers/test_helpers.h"
#include "tensor/ops/creation.h"

namespace sp::models {
namespace {

using test::all_close;

class KeypointsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fx_ = new std::map<std::string, Tensor>(test::load_fixture("models_keypoints.h5"));
  }
  static const Tensor& fx(const std::string& k) { return fx_->at(k); }
  static std::map<std::string, Tensor>* fx_;
};
std::map<std::string, Tensor>* KeypointsTest::fx_ = nullptr;

TEST_F(KeypointsTest, HeatmapIsSoftmaxThenDepthToSpace) {
  EXPECT_TRUE(all_close(detector_heatmap(fx("logits")), fx("heatmap"), 1e-5, 1e-7));
  EXPECT_SP_ERROR(detector_heatmap(zeros({1, 64, 2, 2})),
                  "expected 65 channels, got shape [1, 64, 2, 2]");
}

TEST_F(KeypointsTest, GridNmsMatchesTheOfficialDemo) {
  Keypoints k = extract_keypoints(fx("nms_heat"),
                                  {.threshold = 0.05f, .nms_radius = 4, .border = 4, .top_k = -1});
  const Tensor& expected = fx("nms_keypoints");
  ASSERT_EQ(k.xy.size(0), expected.size(0));
  EXPECT_TRUE(all_close(k.xy, expected.slice(1, 0, 2), 0, 0));
  EXPECT_TRUE(all_close(k.scores, expected.select(1, 2), 0, 0));
}

TEST_F(KeypointsTest, TopKKeepsTheStrongest) {
  Keypoints all = extract_keypoints(fx("nms_heat"), {.threshold = 0.05f});
  Keypoints top = extract_keypoints(fx("nms_heat"), {.threshold = 0.05f, .top_k = 5});
  ASSERT_EQ(top.xy.size(0), 5);
  EXPECT_TRUE(all_close(top.scores, all.scores.slice(0, 0, 5), 0, 0));
  EXPECT_EQ(extract_keypoints(zeros({0, 0}), {}).xy.size(0), 0);
}

TEST_F(KeypointsTest, DescriptorsSampleCellCentresBilinearly) {
  EXPECT_TRUE(
      all_close(sample_descriptors(fx("desc"), fx("desc_xy")), fx("desc_sampled"), 1e-5, 1e-6));
  // Non-contiguous input gives the same result.
  Tensor dt = fx("desc").transpose(1, 2).contiguous().transpose(1, 2);
  EXPECT_TRUE(all_close(sample_descriptors(dt, fx("desc_xy")), fx("desc_sampled"), 1e-5, 1e-6));
  EXPECT_SP_ERROR(sample_descriptors(fx("desc"), zeros({3, 3})), "[N, 2], got [3, 3]");
}

TEST_F(KeypointsTest, CellTargetsSplitMassAndMarkEmptyCells) {
  EXPECT_TRUE(all_close(cell_targets(fx("kmap")), fx("targets"), 0, 1e-7));
  EXPECT_SP_ERROR(cell_targets(zeros({10, 16})), "multiples of 8, got [10, 16]");
}

TEST(Keypoints, KeypointMapRoundsAndClamps) {
  Tensor m = keypoint_map(from_vector<float>({1.4f, 2.6f, -3.f, 100.f}, {2, 2}), 4, 5);
  std::vector<float> v = m.to_vector<float>();
  EXPECT_EQ(v[3 * 5 + 1], 1.0f);  // (x 1.4, y 2.6) -> (1, 3)
  EXPECT_EQ(v[3 * 5 + 0], 1.0f);  // clamped to (0, 3)
  EXPECT_FLOAT_EQ(m.to_vector<double>().size(), 20);
  double total = 0;
  for (float x : v) total += x;
  EXPECT_EQ(total, 2.0);
}

}  // namespace
}  // namespace sp::models

#include "features/features.h"

#include <gtest/gtest.h>

#include "helpers/test_helpers.h"
#include "tensor/ops/creation.h"

namespace sp::features {
namespace {

ImageFeatures image(std::vector<float> xy, std::vector<float> scores, int64_t D, int64_t w = 64,
                    int64_t h = 48) {
  ImageFeatures f;
  const int64_t n = int64_t(scores.size());
  f.keypoints = from_vector<float>(xy, Shape{n, 2});
  f.scores = from_vector<float>(scores, Shape{n});
  if (D > 0) f.descriptors = test::lcg_uniform({n, D}, n, -1, 1, 11).to(DType::F32);
  f.width = w, f.height = h;
  return f;
}

TEST(Features, PadStacksWithAMaskAndKeepsTheBestWhenCut) {
  ImageFeatures a = image({1, 2, 3, 4, 5, 6}, {0.5f, 0.9f, 0.1f}, 4);
  ImageFeatures b = image({7, 8}, {0.3f}, 4, 32, 16);
  Features f = pad({a, b});
  f.check("test");
  EXPECT_EQ(f.keypoints.shape(), Shape({2, 3, 2}));
  EXPECT_EQ(f.descriptors.shape(), Shape({2, 3, 4}));
  EXPECT_EQ(f.counts(), (std::vector<int64_t>{3, 1}));
  EXPECT_EQ(f.mask.to(DType::I64).to_vector<int64_t>(), (std::vector<int64_t>{1, 1, 1, 1, 0, 0}));
  EXPECT_EQ(f.image_size.to_vector<float>(), (std::vector<float>{64, 48, 32, 16}));
  // Padding is zero.
  EXPECT_EQ(f.keypoints.select(0, 1).to_vector<float>(), (std::vector<float>{7, 8, 0, 0, 0, 0}));
  ImageFeatures back = f.image(1);
  EXPECT_EQ(back.size(), 1);
  EXPECT_EQ(back.width, 32);
  EXPECT_TRUE(test::equal(back.descriptors, b.descriptors));
  // Cut to 2: the two best scores (0.5, 0.9) in their original order.
  Features cut = pad({a, b}, 2);
  EXPECT_EQ(cut.keypoints.select(0, 0).to_vector<float>(), (std::vector<float>{1, 2, 3, 4}));
  EXPECT_EQ(cut.counts(), (std::vector<int64_t>{2, 1}));
}

TEST(Features, BatchKeysRoundTripWithGlueFactoryNames) {
  Features f = pad({image({1, 2}, {0.5f}, 3), image({3, 4, 5, 6}, {0.1f, 0.2f}, 3)});
  NamedTensors batch;
  f.put(batch, "0");
  for (const char* key :
       {"keypoints0", "keypoint_scores0", "descriptors0", "keypoint_mask0", "image_size0"})
    EXPECT_TRUE(batch.count(key)) << key;
  Features back = Features::take(batch, "0");
  EXPECT_TRUE(test::equal(back.keypoints, f.keypoints));
  EXPECT_TRUE(test::equal(back.mask, f.mask));
  // Only keypoints are required: no mask means every keypoint is real.
  NamedTensors bare{{"keypoints1", zeros({1, 5, 2})}};
  Features minimal = Features::take(bare, "1");
  EXPECT_EQ(minimal.counts(), (std::vector<int64_t>{5}));
  EXPECT_FALSE(minimal.has_descriptors());
  EXPECT_SP_ERROR(Features::take(bare, "0"), "expected key 'keypoints0', got keys [keypoints1]");
}

TEST(Features, BadInputNamesTheImageAndShape) {
  ImageFeatures bad = image({1, 2}, {0.5f}, 4);
  bad.scores = zeros({2});
  EXPECT_SP_ERROR(pad({bad}), "expected scores of shape [1], got [2]");
  EXPECT_SP_ERROR(pad({image({1, 2}, {0.5f}, 4), image({1, 2}, {0.5f}, 8)}),
                  "descriptors of one size");
  EXPECT_SP_ERROR(pad({}), "at least one image");
}

TEST(Matches, PairsListTheMatchedKeypoints) {
  Matches m;
  m.matches0 = from_vector<int64_t>({2, -1, 0}, Shape{1, 3});
  m.matching_scores0 = from_vector<float>({0.9f, 0.f, 0.4f}, Shape{1, 3});
  m.matches1 = from_vector<int64_t>({2, -1, 0}, Shape{1, 3});
  m.matching_scores1 = m.matching_scores0;
  EXPECT_EQ(m.pairs(0).to_vector<int64_t>(), (std::vector<int64_t>{0, 2, 2, 0}));
  EXPECT_EQ(m.pair_scores(0).to_vector<float>(), (std::vector<float>{0.9f, 0.4f}));
  NamedTensors t;
  m.put(t);
  EXPECT_TRUE(test::equal(Matches::take(t).matches0, m.matches0));
  EXPECT_SP_ERROR(m.pairs(1), "image index in [0, 1)");
}

}  // namespace
}  // namespace sp::features

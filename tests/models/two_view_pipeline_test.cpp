// The feature contract end to end: SuperPoint as an Extractor on a two-view batch whose
// images yield different keypoint counts (padding and mask), the nearest-neighbour
// Matcher on it, and the pipeline built from a config with [model.extractor] and
// [model.matcher] sub-tables.
#include "models/two_view_pipeline.h"

#include <gtest/gtest.h>

#include "data/loader.h"
#include "features/nearest_neighbor.h"
#include "helpers/test_helpers.h"
#include "models/nearest_neighbor_matcher.h"
#include "models/superpoint.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/elementwise.h"
#include "tensor/ops/matmul.h"
#include "tensor/ops/movement.h"
#include "tensor/ops/random.h"

namespace sp::models {
namespace {

// Two gray images [2, 1, 48, 64]: noise (many maxima) and a smooth ramp (few).
Tensor two_images(uint64_t seed) {
  Tensor noise = test::lcg_uniform({1, 1, 48, 64}, seed, 0, 1, 31).to(DType::F32);
  std::vector<float> ramp(48 * 64);
  for (int64_t y = 0; y < 48; ++y)
    for (int64_t x = 0; x < 64; ++x) ramp[size_t(y * 64 + x)] = float(x + y) / 112.0f;
  return cat({noise, from_vector<float>(ramp, Shape{1, 1, 48, 64})}, 0);
}

std::shared_ptr<TwoViewPipeline> pipeline() {
  MapConfig config({{"extractor.name", "superpoint"},
                    {"extractor.width", "0.25"},
                    {"extractor.descriptor_dim", "16"},
                    {"extractor.detection_threshold", "0.0"},
                    {"extractor.top_k", "-1"},
                    {"matcher.name", "nearest_neighbor"},
                    {"matcher.mutual", "true"}});
  manual_seed(3);
  auto p = TwoViewPipeline::from(config);
  p->eval();
  return p;
}

// Every match of image b points at a real keypoint on both sides.
void expect_only_real_matches(const features::Matches& m, const features::Features& f0,
                              const features::Features& f1, int64_t b) {
  const std::vector<int64_t> n0 = f0.counts(), n1 = f1.counts();
  const std::vector<int64_t> m0 = m.matches0.select(0, b).to_vector<int64_t>();
  const std::vector<int64_t> m1 = m.matches1.select(0, b).to_vector<int64_t>();
  for (size_t i = 0; i < m0.size(); ++i) {
    if (int64_t(i) >= n0[size_t(b)]) {
      EXPECT_EQ(m0[i], -1) << "padded point " << i << " of image 0 matched";
    }
    EXPECT_LT(m0[i], n1[size_t(b)]) << "point " << i << " matched padding of image 1";
  }
  for (size_t j = 0; j < m1.size(); ++j) {
    if (int64_t(j) >= n1[size_t(b)]) {
      EXPECT_EQ(m1[j], -1) << "padded point " << j << " of image 1 matched";
    }
    EXPECT_LT(m1[j], n0[size_t(b)]);
  }
}

// One view's features of each image as a sample, the way a dataset of image pairs with
// per-image extraction (or cached features) produces them.
data::Sample view_sample(Extractor& extractor, const Tensor& image, const std::string& suffix) {
  features::NamedTensors one;
  extractor.extract(image.unsqueeze(0)).put(one, suffix);
  data::Sample sample;
  for (const auto& [k, v] : one)
    if (k.rfind("keypoint_mask", 0) != 0) sample[k] = v.select(0, 0);  // drop the batch dim
  return sample;
}

TEST(TwoViewPipeline, PaddedPointsNeverMatch) {
  auto p = pipeline();
  EXPECT_EQ(p->named_parameters().front().first.rfind("extractor.", 0), 0u);
  // Two pairs of different image sizes, so different keypoint counts; both views of a
  // pair are the same picture.
  std::vector<data::Sample> samples;
  for (auto [h, w] : {std::pair<int64_t, int64_t>{48, 64}, {32, 40}}) {
    const Tensor image = test::lcg_uniform({1, h, w}, uint64_t(h), 0, 1, 31).to(DType::F32);
    data::Sample s = view_sample(p->extractor(), image, "0");
    for (auto& [k, v] : view_sample(p->extractor(), image, "1")) s[k] = v;
    samples.push_back(s);
  }
  // The collate step pads the keypoint sets and adds their masks.
  Batch batch = make_batch(data::collate(samples));
  Predictions pred = p->run(batch);
  const features::Features f0 = features_of(pred, "0"), f1 = features_of(pred, "1");
  const features::Matches m = matches_of(pred);
  ASSERT_NE(f0.counts()[0], f0.counts()[1]) << "the test needs different keypoint counts per image";
  EXPECT_EQ(f0.max_keypoints(), std::max(f0.counts()[0], f0.counts()[1]));
  for (int64_t b = 0; b < 2; ++b) expect_only_real_matches(m, f0, f1, b);
  // Identical views: every real point finds itself, unless another point's descriptor is
  // the same up to rounding (random weights make a few such twins; which of two twins wins
  // the argmax then depends on the CPU's summation order: AVX2 and AVX-512 differ).
  for (int64_t b = 0; b < 2; ++b) {
    const std::vector<int64_t> m0 = m.matches0.select(0, b).to_vector<int64_t>();
    const int64_t n = f0.counts()[size_t(b)];
    const Tensor d = f0.descriptors.select(0, b).narrow(0, 0, n).contiguous();
    const std::vector<float> sim = matmul(d, d.transpose(0, 1)).contiguous().to_vector<float>();
    int64_t found_itself = 0;
    for (int64_t i = 0; i < n; ++i) {
      if (m0[size_t(i)] == i) {
        ++found_itself;
        continue;
      }
      bool has_twin = false;
      for (int64_t k = 0; k < n; ++k)
        has_twin |= k != i && sim[size_t(i * n + k)] > sim[size_t(i * n + i)] - 1e-4f;
      EXPECT_TRUE(has_twin) << "pair " << b << ": point " << i << " matched " << m0[size_t(i)]
                            << " and has no twin descriptor";
    }
    EXPECT_GE(found_itself, n - 2) << "pair " << b;
  }

  // Poisoned padding: every padded entry of image 1 gets an exact copy of image 0's
  // point 0 (distance 0), and image 1's own point 0 is turned away. The masks must still
  // keep the copies out.
  features::Features g1 = f1;
  g1.descriptors = f1.descriptors.clone();
  for (int64_t b = 0; b < 2; ++b) {
    Tensor own = g1.descriptors.select(0, b).select(0, 0);
    own.copy_(neg(own.clone()));
    for (int64_t j = f1.counts()[size_t(b)]; j < f1.max_keypoints(); ++j)
      g1.descriptors.select(0, b).select(0, j).copy_(f0.descriptors.select(0, b).select(0, 0));
  }
  const features::Matches poisoned = p->matcher().match(f0, g1);
  for (int64_t b = 0; b < 2; ++b) expect_only_real_matches(poisoned, f0, g1, b);
  // Without the masks a copy would have been taken.
  const int64_t b = f1.counts()[0] < f1.max_keypoints() ? 0 : 1;
  features::Features u0 = f0, u1 = g1;
  u0.mask = ones(f0.mask.shape(), DType::Bool);
  u1.mask = ones(g1.mask.shape(), DType::Bool);
  EXPECT_GE(features::match_nearest_neighbors(u0, u1).matches0.select(0, b).to_vector<int64_t>()[0],
            f1.counts()[size_t(b)]);
}

TEST(TwoViewPipeline, CachedFeaturesSkipExtractionAndConfigErrorsNameTheTable) {
  auto p = pipeline();
  features::Features f = p->extractor().extract(two_images(2));
  Batch batch("batch");
  features::NamedTensors t;
  f.put(t, "0");
  f.put(t, "1");
  for (const auto& [k, v] : t) batch.set(k, v);
  const features::Matches m = matches_of(p->run(batch));
  for (int64_t b = 0; b < 2; ++b)
    for (int64_t i = 0; i < f.counts()[size_t(b)]; ++i)
      EXPECT_EQ(m.matches0.select(0, b).to_vector<int64_t>()[size_t(i)], i);  // identical views
  MapConfig no_matcher(std::map<std::string, std::string>{{"extractor.name", "superpoint"}});
  EXPECT_SP_ERROR(TwoViewPipeline::from(no_matcher), "[model.matcher]");
  MapConfig swapped({{"extractor.name", "nearest_neighbor"}, {"matcher.name", "nearest_neighbor"}});
  EXPECT_SP_ERROR(TwoViewPipeline::from(swapped), "expected an extractor");
  Batch empty("batch");
  EXPECT_SP_ERROR(p->run(empty), "expected image0 or cached keypoints0");
}

TEST(TwoViewPipeline, StaysFrozenWhenTraining) {
  auto p = pipeline();
  p->train();
  EXPECT_TRUE(p->is_training());
  EXPECT_FALSE(p->extractor().is_training());
}

TEST(SuperPointExtractor, ForceNumKeypointsPadsWithRealRandomPoints) {
  SuperPointConfig c;
  c.width = 0.25, c.descriptor_dim = 16, c.top_k = 300, c.detection_threshold = 0.0,
  c.force_num_keypoints = true;
  manual_seed(1);
  SuperPoint sp(c);
  sp.eval();
  features::Features f = sp.extract(two_images(3));
  EXPECT_EQ(f.max_keypoints(), 300);
  EXPECT_EQ(f.counts(), (std::vector<int64_t>{300, 300}));
  // The padded points are inside the image and have unit descriptors.
  const Tensor kp = f.keypoints.select(0, 1).select(0, 299);
  EXPECT_GE(kp.to_vector<float>()[0], 0.f);
  EXPECT_LE(kp.to_vector<float>()[0], 63.f);
  const std::vector<float> d = f.descriptors.select(0, 1).select(0, 299).to_vector<float>();
  double norm = 0;
  for (float v : d) norm += double(v) * v;
  EXPECT_NEAR(norm, 1.0, 1e-4);
  MapConfig bad(std::map<std::string, std::string>{{"force_num_keypoints", "true"}});
  EXPECT_SP_ERROR(SuperPointConfig::from(bad, false), "top_k > 0 with force_num_keypoints");
}

}  // namespace
}  // namespace sp::models

#include "models/superpoint_detect.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "helpers/test_helpers.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/elementwise.h"
#include "tensor/ops/random.h"

namespace sp::models {
namespace {

// [SG] simple_nms written with loops, on one [H, W] heatmap (f32, contiguous).
Tensor naive_maxpool_nms(const Tensor& heat, int r) {
  const int64_t H = heat.size(0), W = heat.size(1);
  const float* h = heat.data<float>();
  auto window_max = [&](const std::vector<float>& v, int64_t y, int64_t x) {
    float m = -1e30f;
    for (int64_t yy = std::max<int64_t>(0, y - r); yy <= std::min(H - 1, y + r); ++yy)
      for (int64_t xx = std::max<int64_t>(0, x - r); xx <= std::min(W - 1, x + r); ++xx)
        m = std::max(m, v[yy * W + xx]);
    return m;
  };
  std::vector<float> score(h, h + H * W), keep(size_t(H * W));
  for (int64_t i = 0; i < H * W; ++i)
    keep[i] = score[i] == window_max(score, i / W, i % W) ? 1.f : 0.f;
  for (int round = 0; round < 2; ++round) {
    std::vector<float> supp(size_t(H * W)), rest(size_t(H * W));
    for (int64_t i = 0; i < H * W; ++i) {
      supp[i] = window_max(keep, i / W, i % W) > 0 ? 1.f : 0.f;
      rest[i] = supp[i] > 0 ? 0.f : score[i];
    }
    for (int64_t i = 0; i < H * W; ++i)
      if (rest[i] == window_max(rest, i / W, i % W) && supp[i] == 0) keep[i] = 1.f;
  }
  std::vector<float> out(size_t(H * W));
  for (int64_t i = 0; i < H * W; ++i) out[i] = keep[i] > 0 ? score[i] : 0.f;
  return from_vector(out, {H, W});
}

// The CPU reference of the maxpool path: naive NMS, threshold, border, stable sort, top-k.
Keypoints reference_maxpool_keypoints(const Tensor& heat, const DetectOptions& o) {
  Tensor nms = naive_maxpool_nms(heat, o.nms_radius);
  DetectOptions no_nms = o;
  no_nms.nms_radius = 0;
  // extract_keypoints without NMS on a heatmap whose suppressed pixels are 0 (thresholds > 0).
  return extract_keypoints(nms, no_nms);
}

TEST(SuperPointDetect, ProbabilitiesEqualTheCpuHeatmap) {
  Generator gen(1);
  Tensor logits = mul(randn({2, 65, 3, 5}, gen), Scalar(3.0));
  Tensor heat = detector_probabilities(logits);
  EXPECT_EQ(heat.shape(), (Shape{2, 1, 24, 40}));
  EXPECT_TRUE(test::all_close(heat.select(1, 0), detector_heatmap(logits), 1e-5, 1e-7));
}

TEST(SuperPointDetect, MaxPoolNmsMatchesLoopReference) {
  Generator gen(2);
  Tensor heat = rand({2, 1, 17, 23}, gen);
  for (int r : {1, 2, 4}) {
    Tensor nms = maxpool_nms(heat, r);
    for (int64_t b = 0; b < 2; ++b)
      EXPECT_TRUE(test::equal(nms.select(0, b).select(0, 0).contiguous(),
                              naive_maxpool_nms(heat.select(0, b).select(0, 0).contiguous(), r)))
          << "radius " << r;
  }
  EXPECT_TRUE(test::equal(maxpool_nms(heat, 0), heat));
  EXPECT_SP_ERROR(maxpool_nms(heat.select(1, 0), 2), "expected heatmaps [B, 1, H, W]");
}

TEST(SuperPointDetect, BothNmsModesMatchTheirCpuReferences) {
  Generator gen(3);
  Tensor logits = mul(randn({2, 65, 4, 5}, gen), Scalar(2.5));
  Tensor desc = randn({2, 16, 4, 5}, gen);
  Tensor heat = detector_heatmap(logits);
  for (int top_k : {-1, 7}) {
    DetectConfig c;
    c.options.threshold = 0.02f;
    c.options.nms_radius = 2;
    c.options.border = 3;
    c.options.top_k = top_k;
    c.nms = NmsKind::Grid;
    std::vector<Detections> grid = detect(logits, desc, c);
    c.nms = NmsKind::MaxPool;
    std::vector<Detections> pool = detect(logits, desc, c);
    ASSERT_EQ(grid.size(), 2u);
    for (int64_t b = 0; b < 2; ++b) {
      Keypoints g = extract_keypoints(heat.select(0, b), c.options);
      EXPECT_TRUE(test::equal(grid[b].keypoints, g.xy));
      EXPECT_TRUE(test::all_close(grid[b].scores, g.scores, 1e-6, 1e-8));
      Keypoints m = reference_maxpool_keypoints(heat.select(0, b).contiguous(), c.options);
      EXPECT_GT(m.scores.size(0), 3);
      EXPECT_TRUE(test::equal(pool[b].keypoints, m.xy));
      EXPECT_TRUE(test::all_close(pool[b].scores, m.scores, 1e-6, 1e-8));
      EXPECT_TRUE(test::all_close(pool[b].descriptors, sample_descriptors(desc.select(0, b), m.xy),
                                  1e-5, 1e-6));
      if (top_k > 0) {
        EXPECT_EQ(pool[b].scores.size(0), top_k);
      }
    }
  }
}

TEST(SuperPointDetect, IsolatedPeaksGiveTheSameKeypointsWithEitherNms) {
  // Logits with a strong position in a few cells, far apart: both NMS keep exactly those.
  Tensor logits = zeros({1, 65, 3, 4});
  logits.select(1, 64).fill_(8.0);
  auto peak = [&](int64_t k, int64_t hc, int64_t wc, double v) {
    logits.select(0, 0).select(0, k).select(0, hc).select(0, wc).fill_(v);
  };
  peak(9, 0, 0, 12.0), peak(36, 1, 2, 13.0), peak(63, 2, 3, 11.0), peak(20, 2, 1, 12.5);
  DetectConfig c;
  c.options.border = 0;
  c.options.nms_radius = 4;
  std::vector<Detections> pool = detect(logits, Tensor(), c);
  c.nms = NmsKind::Grid;
  std::vector<Detections> grid = detect(logits, Tensor(), c);
  EXPECT_EQ(pool[0].keypoints.size(0), 4);
  EXPECT_TRUE(test::equal(pool[0].keypoints, grid[0].keypoints));
  EXPECT_TRUE(test::all_close(pool[0].scores, grid[0].scores));
  EXPECT_FALSE(pool[0].descriptors.defined());
  // First the strongest: cell (1, 2), k = 36 -> (x, y) = (16 + 4, 8 + 4).
  EXPECT_EQ(pool[0].keypoints.select(0, 0).select(0, 0).item<float>(), 20.0f);
  EXPECT_EQ(pool[0].keypoints.select(0, 0).select(0, 1).item<float>(), 12.0f);
  EXPECT_SP_ERROR(nms_kind("box"), "expected nms \"maxpool\" or \"grid\"");
}

TEST(SuperPointDetect, DeviceDescriptorSamplingEqualsCpuReference) {
  Generator gen(4);
  Tensor desc = randn({8, 3, 5}, gen);
  Tensor xy = from_vector<float>(
      {0, 0, 39, 23, 3.5f, 3.5f, 17.2f, 9.9f, -5, 30, 100, -2, 11.5f, 19.5f}, {7, 2});
  EXPECT_TRUE(test::all_close(sample_descriptors_device(desc, xy), sample_descriptors(desc, xy),
                              1e-5, 1e-6));
  EXPECT_EQ(sample_descriptors_device(desc, zeros({0, 2})).shape(), (Shape{0, 8}));
  Tensor one = randn({4, 1, 1}, gen);  // a 1x1 map: every point reads the only cell
  EXPECT_TRUE(
      test::all_close(sample_descriptors_device(one, xy), sample_descriptors(one, xy), 1e-5, 1e-6));
}

TEST(SuperPointDetectGpu, DeviceDecodingOnCudaEqualsCpu) {
  SP_SKIP_WITHOUT_GPU();
  Generator gen(5);
  Tensor logits = mul(randn({2, 65, 6, 8}, gen), Scalar(2.5));
  Tensor desc = randn({2, 32, 6, 8}, gen);
  Tensor heat = rand({2, 1, 19, 29}, gen);
  EXPECT_TRUE(test::equal(maxpool_nms(heat.cuda(), 3).cpu(), maxpool_nms(heat, 3)));
  EXPECT_TRUE(test::all_close(detector_probabilities(logits.cuda()).cpu(),
                              detector_probabilities(logits), 1e-5, 1e-7));
  DetectConfig c;
  c.options.threshold = 0.01f;
  c.options.top_k = 20;
  for (NmsKind kind : {NmsKind::MaxPool, NmsKind::Grid}) {
    c.nms = kind;
    std::vector<Detections> cpu = detect(logits, desc, c),
                            gpu = detect(logits.cuda(), desc.cuda(), c);
    for (size_t b = 0; b < 2; ++b) {
      EXPECT_TRUE(gpu[b].keypoints.is_cuda());
      EXPECT_TRUE(test::equal(gpu[b].keypoints.cpu(), cpu[b].keypoints));
      EXPECT_TRUE(test::all_close(gpu[b].scores.cpu(), cpu[b].scores, 1e-5, 1e-7));
      EXPECT_TRUE(test::all_close(gpu[b].descriptors.cpu(), cpu[b].descriptors, 1e-4, 1e-6));
    }
  }
}

}  // namespace
}  // namespace sp::models

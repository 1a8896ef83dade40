// Ground-truth labels against the PyTorch reference of Glue Factory's rules
// (tests/reference/geometry_gt_matches.py): homography and depth cases, padded batches,
// on the CPU and (GPU tests) CUDA against the CPU.
#include "geometry/gt_matches.h"

#include "helpers/test_helpers.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/movement.h"
#include "tensor/ops/operators.h"

namespace sp::geometry {
namespace {

std::map<std::string, Tensor>& fixture() {
  static std::map<std::string, Tensor> f = test::load_fixture("geometry_gt_matches.h5");
  return f;
}

const Tensor& at(const std::string& key) {
  return fixture().at(key);
}

// proj_* of real keypoints only: the reference leaves 0 at padding, as sp does.
void expect_labels(const GtMatches& got, const std::string& prefix) {
  EXPECT_TRUE(test::equal(got.matches0.cpu(), at(prefix + "/matches0"))) << prefix;
  EXPECT_TRUE(test::equal(got.matches1.cpu(), at(prefix + "/matches1"))) << prefix;
  EXPECT_TRUE(test::equal(got.assignment.cpu(), at(prefix + "/assignment"))) << prefix;
  EXPECT_TRUE(test::equal(got.visible0.cpu(), at(prefix + "/visible0"))) << prefix;
  EXPECT_TRUE(test::equal(got.visible1.cpu(), at(prefix + "/visible1"))) << prefix;
  EXPECT_TRUE(
      test::all_close(got.proj_0to1.cpu().to(DType::F64), at(prefix + "/proj_0to1"), 1e-6, 1e-4))
      << prefix;
  EXPECT_TRUE(
      test::all_close(got.proj_1to0.cpu().to(DType::F64), at(prefix + "/proj_1to0"), 1e-6, 1e-4))
      << prefix;
}

GtMatches homography(const std::string& name, Device device = kCPU) {
  const std::vector<double> th = at(name + "/th").to_vector<double>();
  HomographyGtOptions o{th[0], th[1]};
  return gt_matches_from_homography(at("h/kp0").to(device), at("h/kp1").to(device),
                                    at("h/H").to(device), at("h/mask0").to(device),
                                    at("h/mask1").to(device), o);
}

PosedPairs posed_pairs(Device device = kCPU) {
  PosedPairs p;
  p.depth0 = at("d/depth0").to(device);
  p.depth1 = at("d/depth1").to(device);
  p.K0 = at("d/K0").to(device);
  p.K1 = at("d/K1").to(device);
  p.T_0to1 = at("d/T_0to1").to(device);
  p.image_size0 = p.image_size1 = at("d/image_size").to(device);
  return p;
}

GtMatches depth(bool epi, Device device = kCPU) {
  DepthGtOptions o;
  o.th_epi = epi ? 5 : 0;
  return gt_matches_from_depth(at("d/kp0").to(device), at("d/kp1").to(device), posed_pairs(device),
                               at("d/mask0").to(device), at("d/mask1").to(device), o);
}

TEST(GtMatches, HomographyMatchesReferenceWithIgnoreBand) {
  expect_labels(homography("h35"), "h35");
}

TEST(GtMatches, HomographyMatchesReferenceWithoutIgnoreBand) {
  expect_labels(homography("h33"), "h33");
}

TEST(GtMatches, DepthMatchesReference) {
  expect_labels(depth(false), "depth");
}

TEST(GtMatches, DepthWithEpipolarRuleMatchesReference) {
  const GtMatches got = depth(true);
  expect_labels(got, "depth_epi");
  // The rule changed something in this fixture (else the test would not test it).
  EXPECT_FALSE(test::equal(at("depth/matches0"), at("depth_epi/matches0")) &&
               test::equal(at("depth/matches1"), at("depth_epi/matches1")));
}

TEST(GtMatches, PaddingIsIgnoredAndNeverPositive) {
  const GtMatches got = homography("h35");
  const std::vector<int64_t> m0 = got.matches0.to_vector<int64_t>();
  const std::vector<bool> mask0 = [] {
    std::vector<bool> v;
    for (uint8_t x : at("h/mask0").to(DType::U8).to_vector<uint8_t>()) v.push_back(x != 0);
    return v;
  }();
  int padding = 0;
  for (size_t i = 0; i < m0.size(); ++i)
    if (!mask0[i]) {
      EXPECT_EQ(m0[i], kIgnore);
      ++padding;
    }
  EXPECT_GT(padding, 0);
}

TEST(GtMatches, EmptyOtherImageLeavesEveryPointUnmatched) {
  const Tensor kp0 = at("h/kp0").narrow(0, 0, 1);
  const Tensor kp1 = zeros({1, 0, 2}, DType::F64);
  const GtMatches got = gt_matches_from_homography(kp0, kp1, at("h/H").narrow(0, 0, 1));
  for (int64_t v : got.matches0.to_vector<int64_t>()) EXPECT_EQ(v, kUnmatched);
  EXPECT_EQ(got.assignment.shape(), Shape({1, kp0.size(1), 0}));
}

TEST(GtMatches, BadInputNamesTheArgument) {
  EXPECT_SP_ERROR(gt_matches_from_homography(at("h/kp0"), at("h/kp1"), eye(3, 3, DType::F64)),
                  "H_0to1 [2, 3, 3]");
  EXPECT_SP_ERROR(gt_matches_from_homography(at("h/kp0"), at("h/kp1").narrow(0, 0, 1), at("h/H")),
                  "one batch size");
  PosedPairs p = posed_pairs();
  p.depth1 = p.depth1.narrow(0, 0, 1);
  EXPECT_SP_ERROR(gt_matches_from_depth(at("d/kp0"), at("d/kp1"), p), "depth1 [2, H, W]");
  p = posed_pairs();
  p.image_size0 = Tensor();
  EXPECT_SP_ERROR(gt_matches_from_depth(at("d/kp0"), at("d/kp1"), p), "image_size0 [2, 2]");
}

TEST(GtMatchesGpu, CudaMatchesCpuOnFixtures) {
  SP_SKIP_WITHOUT_GPU();
  const Device gpu = cuda_device(0);
  expect_labels(homography("h35", gpu), "h35");
  expect_labels(homography("h33", gpu), "h33");
  expect_labels(depth(false, gpu), "depth");
  expect_labels(depth(true, gpu), "depth_epi");
}

TEST(GtMatchesGpu, CudaMatchesCpuOnLargeBatch) {
  SP_SKIP_WITHOUT_GPU();
  // 4 pairs of 700 / 650 keypoints over the fixture's depth maps (tiled), f32 inputs.
  const Tensor kp0 = test::lcg_uniform({4, 700, 2}, 1, -2, 161, 7).to(DType::F32);
  const Tensor kp1 = test::lcg_uniform({4, 650, 2}, 2, -2, 161, 7).to(DType::F32);
  const Tensor mask0 = test::lcg_uniform({4, 700}, 3, 0, 1, 7) < Scalar(0.9);
  PosedPairs p = posed_pairs();
  for (Tensor* t : {&p.depth0, &p.depth1, &p.K0, &p.K1, &p.T_0to1, &p.image_size0})
    *t = cat({*t, *t}, 0);
  p.image_size1 = p.image_size0;
  const GtMatches cpu = gt_matches_from_depth(kp0, kp1, p, mask0);
  PosedPairs g = p;
  for (Tensor* t : {&g.depth0, &g.depth1, &g.K0, &g.K1, &g.T_0to1, &g.image_size0, &g.image_size1})
    *t = t->to(cuda_device(0));
  const GtMatches gpu = gt_matches_from_depth(kp0.cuda(), kp1.cuda(), g, mask0.cuda());
  EXPECT_TRUE(test::equal(gpu.matches0.cpu(), cpu.matches0));
  EXPECT_TRUE(test::equal(gpu.matches1.cpu(), cpu.matches1));
  EXPECT_TRUE(test::equal(gpu.assignment.cpu(), cpu.assignment));
  EXPECT_TRUE(test::all_close(gpu.proj_0to1.cpu(), cpu.proj_0to1, 1e-6, 1e-4));
}

}  // namespace
}  // namespace sp::geometry

#include "features/nearest_neighbor.h"

#include <gtest/gtest.h>

#include "helpers/test_helpers.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/operators.h"

namespace sp::features {
namespace {

// d0: three unit vectors; d1: two. d0[0] <-> d1[1] and d0[1] <-> d1[0] are mutual; d0[2]
// is nearest to d1[0] (0.632 away; d1[1] is 0.894 away), which prefers d0[1].
Tensor d0() {
  return from_vector<float>({1, 0, 0, 1, 0.6f, 0.8f}, Shape{1, 3, 2});
}
Tensor d1() {
  return from_vector<float>({0, 1, 1, 0}, Shape{1, 2, 2});
}

TEST(NearestNeighbor, MutualMatchesAndScores) {
  Matches m = match_nearest_neighbors(d0(), d1());
  EXPECT_EQ(m.matches0.to_vector<int64_t>(), (std::vector<int64_t>{1, 0, -1}));
  EXPECT_EQ(m.matches1.to_vector<int64_t>(), (std::vector<int64_t>{1, 0}));
  EXPECT_EQ(m.matching_scores0.to_vector<float>(), (std::vector<float>{1, 1, 0}));
  // Without the mutual check d0[2] keeps its nearest (d1[0] at similarity 0.8).
  Matches one_way = match_nearest_neighbors(d0(), d1(), {}, {}, {.mutual = false});
  EXPECT_EQ(one_way.matches0.to_vector<int64_t>(), (std::vector<int64_t>{1, 0, 0}));
  EXPECT_FLOAT_EQ(one_way.matching_scores0.to_vector<float>()[2], 0.8f);
}

TEST(NearestNeighbor, DistanceAndRatioTests) {
  // d0[2]'s nearest, d1[0], is 0.632 away.
  NearestNeighborOptions o{.mutual = false, .ratio_threshold = 0, .distance_threshold = 0.5};
  EXPECT_EQ(match_nearest_neighbors(d0(), d1(), {}, {}, o).matches0.to_vector<int64_t>(),
            (std::vector<int64_t>{1, 0, -1}));
  // Ratio: 0.632 / 0.894 = 0.707.
  o = {.mutual = false, .ratio_threshold = 0.7, .distance_threshold = 0};
  EXPECT_EQ(match_nearest_neighbors(d0(), d1(), {}, {}, o).matches0.to_vector<int64_t>()[2], -1);
  o.ratio_threshold = 0.72;
  EXPECT_EQ(match_nearest_neighbors(d0(), d1(), {}, {}, o).matches0.to_vector<int64_t>()[2], 0);
}

TEST(NearestNeighbor, MaskedEntriesNeverMatchAndAreNobodysNeighbour) {
  // d1[1] duplicates d0[0] exactly but is padding: d0[0] must not take it.
  Tensor a = from_vector<float>({1, 0, 0, 1}, Shape{1, 2, 2});
  Tensor b = from_vector<float>({0.8f, 0.6f, 1, 0, 0, 1}, Shape{1, 3, 2});
  Tensor mask1 = from_vector<int64_t>({1, 0, 0}, Shape{1, 3}).to(DType::Bool);
  Matches m = match_nearest_neighbors(a, b, Tensor(), mask1);
  EXPECT_EQ(m.matches0.to_vector<int64_t>(), (std::vector<int64_t>{0, -1}));
  EXPECT_EQ(m.matches1.to_vector<int64_t>(), (std::vector<int64_t>{0, -1, -1}));
  // All masked: nothing matches (no NaN, no error).
  Matches none = match_nearest_neighbors(a, b, Tensor(), zeros({1, 3}, DType::Bool));
  EXPECT_EQ(none.matches0.to_vector<int64_t>(), (std::vector<int64_t>{-1, -1}));
}

TEST(NearestNeighbor, EmptySetsAndBadInput) {
  Matches m = match_nearest_neighbors(zeros({2, 0, 4}), zeros({2, 3, 4}));
  EXPECT_EQ(m.matches0.shape(), Shape({2, 0}));
  EXPECT_EQ(m.matches1.to_vector<int64_t>(), std::vector<int64_t>(6, -1));
  EXPECT_SP_ERROR(match_nearest_neighbors(zeros({1, 2, 4}), zeros({1, 2, 3})),
                  "[1, 2, 4] and [1, 2, 3]");
  EXPECT_SP_ERROR(match_nearest_neighbors(zeros({1, 2, 4}), zeros({1, 2, 4}, DType::F64)),
                  "one floating dtype");
  EXPECT_SP_ERROR(
      match_nearest_neighbors(zeros({1, 2, 4}), zeros({1, 2, 4}), zeros({1, 3}, DType::Bool)),
      "mask0 of shape [1, 2]");
  EXPECT_SP_ERROR(match_nearest_neighbors(Tensor(), zeros({1, 2, 4})), "detector-only");
}

TEST(NearestNeighbor, F64AgreesWithBruteForceOnRandomSets) {
  Tensor a = test::lcg_uniform({3, 40, 8}, 1, -1, 1, 3),
         b = test::lcg_uniform({3, 30, 8}, 2, -1, 1, 3);
  Matches m = match_nearest_neighbors(a, b);
  const double* pa = a.data<double>();
  const double* pb = b.data<double>();
  auto dist = [&](int64_t k, int64_t i, int64_t j) {
    double s = 0;
    for (int d = 0; d < 8; ++d)
      s += (pa[(k * 40 + i) * 8 + d] - pb[(k * 30 + j) * 8 + d]) *
           (pa[(k * 40 + i) * 8 + d] - pb[(k * 30 + j) * 8 + d]);
    return s;
  };
  std::vector<int64_t> m0 = m.matches0.to_vector<int64_t>();
  int matched = 0;
  for (int64_t k = 0; k < 3; ++k)
    for (int64_t i = 0; i < 40; ++i) {
      int64_t nn = 0;
      for (int64_t j = 1; j < 30; ++j)
        if (dist(k, i, j) < dist(k, i, nn)) nn = j;
      int64_t back = 0;
      for (int64_t ii = 1; ii < 40; ++ii)
        if (dist(k, ii, nn) < dist(k, back, nn)) back = ii;
      EXPECT_EQ(m0[size_t(k * 40 + i)], back == i ? nn : -1) << "image " << k << " point " << i;
      matched += back == i;
    }
  EXPECT_GT(matched, 20);
}

TEST(NearestNeighborGpu, MatchesTheCpu) {
  SP_SKIP_WITHOUT_GPU();
  Tensor a = test::lcg_uniform({2, 300, 64}, 1, -1, 1, 5).to(DType::F32);
  Tensor b = test::lcg_uniform({2, 257, 64}, 2, -1, 1, 5).to(DType::F32);
  Tensor mask1 = test::lcg_uniform({2, 257}, 3, 0, 1, 5) > Scalar(0.2);
  NearestNeighborOptions o{.mutual = true, .ratio_threshold = 0.95, .distance_threshold = 0};
  Matches cpu = match_nearest_neighbors(a, b, Tensor(), mask1, o);
  Matches gpu = match_nearest_neighbors(a.cuda(), b.cuda(), Tensor(), mask1.cuda(), o);
  EXPECT_TRUE(test::equal(gpu.matches0.cpu(), cpu.matches0));
  EXPECT_TRUE(test::equal(gpu.matches1.cpu(), cpu.matches1));
  EXPECT_TRUE(test::all_close(gpu.matching_scores0.cpu(), cpu.matching_scores0, 1e-5, 1e-5));
}

}  // namespace
}  // namespace sp::features

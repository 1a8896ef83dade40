// f64 gradchecks of matmul, conv2d, grid_sample (input and grid) and bilinear interpolate.
#include "autograd/functions/conv.h"
#include "autograd/functions/matmul.h"
#include "autograd/functions/sample.h"
#include "gradcheck_helpers.h"

namespace sp::ag {
namespace {

using test::non_contiguous;
using test::uniform;
using Vars = std::vector<Var>;

AG_TEST(AgMatmul, BatchedBroadcastAndVectors) {
  Tensor a = uniform({2, 3, 4}, -1, 1, 1, device);
  Tensor b = non_contiguous(uniform({4, 5}, -1, 1, 2, device));
  EXPECT_GRADCHECK([](const Vars& v) { return matmul(v[0], v[1]); }, {a, b});
  EXPECT_GRADCHECK([](const Vars& v) { return matmul(v[0], v[1]); }, {uniform({4}, -1, 1, 3, device), b});
}

AG_TEST(AgConv, StridePadDilationGroups) {
  Tensor x = uniform({2, 4, 5, 6}, -1, 1, 4, device);
  Tensor w = uniform({6, 2, 3, 3}, -1, 1, 5, device);
  Tensor b = uniform({6}, -1, 1, 6, device);
  EXPECT_GRADCHECK([](const Vars& v) { return conv2d(v[0], v[1], v[2], {2, 1}, {1, 2}, {1, 2}, 2); }, {x, w, b});
}

AG_TEST(AgSample, GridSampleInputAndGrid) {
  Tensor x = uniform({1, 2, 4, 5}, -1, 1, 7, device);
  Tensor grid = uniform({1, 3, 2, 2}, -0.9, 0.9, 8, device);
  EXPECT_GRADCHECK([](const Vars& v) { return grid_sample(v[0], v[1], false); }, {x, grid});
  EXPECT_GRADCHECK([](const Vars& v) { return interpolate(v[0], 7, 3, InterpMode::Bilinear, true); }, {x});
}

}  // namespace
}  // namespace sp::ag

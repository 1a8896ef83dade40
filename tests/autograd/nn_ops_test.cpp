// f64 gradchecks of matmul, conv2d, grid_sample (input and grid) and bilinear and nearest
// interpolate.
#include "autograd/functions/conv.h"
#include "autograd/functions/matmul.h"
#include "autograd/functions/reduce.h"
#include "autograd/functions/sample.h"
#include "autograd/operators.h"
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
  EXPECT_GRADCHECK([](const Vars& v) { return matmul(v[0], v[1]); },
                   {uniform({4}, -1, 1, 3, device), b});
}

AG_TEST(AgConv, StridePadDilationGroups) {
  Tensor x = uniform({2, 4, 5, 6}, -1, 1, 4, device);
  Tensor w = uniform({6, 2, 3, 3}, -1, 1, 5, device);
  Tensor b = uniform({6}, -1, 1, 6, device);
  EXPECT_GRADCHECK(
      [](const Vars& v) {
        return conv2d(v[0], v[1], v[2], {2, 1}, {1, 2}, {1, 2}, 2);
      },
      {x, w, b});
}

AG_TEST(AgSample, GridSampleInputAndGrid) {
  Tensor x = uniform({1, 2, 4, 5}, -1, 1, 7, device);
  Tensor grid = uniform({1, 3, 2, 2}, -0.9, 0.9, 8, device);
  EXPECT_GRADCHECK([](const Vars& v) { return grid_sample(v[0], v[1], false); }, {x, grid});
  EXPECT_GRADCHECK(
      [](const Vars& v) { return interpolate(v[0], 7, 3, InterpMode::Bilinear, true); }, {x});
}

AG_TEST(AgSample, InterpolateNearest) {
  Tensor x = non_contiguous(uniform({2, 3, 4, 5}, -1, 1, 9, device));
  EXPECT_GRADCHECK([](const Vars& v) { return interpolate(v[0], 7, 3, InterpMode::Nearest); },
                   {x});  // up, down
  EXPECT_GRADCHECK([](const Vars& v) { return interpolate(v[0], 8, 10, InterpMode::Nearest); },
                   {x});  // exact 2x
  EXPECT_GRADCHECK(
      [](const Vars& v) { return interpolate(v[0] * v[1], 4, 2, InterpMode::Nearest); },
      {x, uniform({5}, 0.5, 1.5, 10, device)});  // broadcast factor, identity rows
}

AG_TEST(AgSample, InterpolateNearestSumsLikePyTorch) {
  // torch: each source pixel gets one count per output that picks it ([3, 5] -> [7, 3]).
  Var x(sp::zeros({1, 1, 3, 5}, DType::F64, device), true);
  backward(sum(interpolate(x, 7, 3, InterpMode::Nearest)));
  EXPECT_EQ(x.grad().cpu().to_vector<double>(),
            (std::vector<double>{3, 3, 0, 3, 0, 2, 2, 0, 2, 0, 2, 2, 0, 2, 0}));
}

AG_TEST(AgSample, InterpolateNearestErrors) {
  Var x(uniform({1, 1, 3, 5}, -1, 1, 11, device), true);
  EXPECT_SP_ERROR(interpolate(x, 4, 4, InterpMode::Nearest, true), "align_corners=false");
  EXPECT_SP_ERROR(interpolate(x, 0, 4, InterpMode::Nearest), "positive output size");
}

}  // namespace
}  // namespace sp::ag

// f64 gradchecks of movement and indexing functions (cat, stack, split, chunk, pad in
// every mode, pixel_shuffle, index_select, gather), with non-contiguous inputs.
#include "autograd/functions/movement.h"

#include "autograd/functions/index.h"
#include "autograd/functions/reduce.h"
#include "autograd/functions/views.h"
#include "autograd/operators.h"
#include "gradcheck_helpers.h"

namespace sp::ag {
namespace {

using test::non_contiguous;
using test::uniform;
using Vars = std::vector<Var>;

AG_TEST(AgMovement, CatStack) {
  Tensor a = non_contiguous(uniform({3, 2}, -1, 1, 1, device));
  Tensor b = uniform({3, 4}, -1, 1, 2, device);
  EXPECT_GRADCHECK([](const Vars& v) { return cat({v[0], v[1], v[0]}, 1); }, {a, b});
  EXPECT_GRADCHECK(
      [](const Vars& v) {
        return stack({v[0], v[1]}, -1);
      },
      {a, non_contiguous(uniform({3, 2}, -1, 1, 3, device))});
}

AG_TEST(AgMovement, SplitChunkUseSomeOutputs) {
  Tensor x = non_contiguous(uniform({5, 3}, -1, 1, 4, device));
  // Only some pieces reach the output: the others get zero gradients.
  EXPECT_GRADCHECK([](const Vars& v) { return split(v[0], 2, 0)[1]; }, {x});
  EXPECT_GRADCHECK(
      [](const Vars& v) {
        std::vector<Var> p = split(v[0], std::vector<int64_t>{1, 4}, 0);
        return cat({p[1], p[0]}, 0);
      },
      {x});
  EXPECT_GRADCHECK([](const Vars& v) { return chunk(v[0], 3, 1)[2]; }, {x});
}

AG_TEST(AgMovement, PadConstantAndCrop) {
  Tensor x = non_contiguous(uniform({2, 3, 4}, -1, 1, 5, device));
  EXPECT_GRADCHECK(
      [](const Vars& v) {
        return pad(v[0], {1, 2, 0, 1}, PadMode::Constant, 0.5);
      },
      {x});
  EXPECT_GRADCHECK([](const Vars& v) { return pad(v[0], {-1, 1, 1, -1}); }, {x});
}

AG_TEST(AgMovement, PadReflectReplicate) {
  Tensor x = non_contiguous(uniform({2, 3, 4, 5}, -1, 1, 6, device));
  Tensor w = uniform({5}, 0.5, 1.5, 11, device);
  EXPECT_GRADCHECK([](const Vars& v) { return pad(v[0], {2, 1, 3, 0}, PadMode::Reflect); }, {x});
  EXPECT_GRADCHECK(
      [](const Vars& v) {
        return pad(v[0], {1, 1, 1, 2, 1, 0}, PadMode::Reflect);
      },
      {x});
  EXPECT_GRADCHECK([](const Vars& v) { return pad(v[0], {1, 2}, PadMode::Replicate); }, {x});
  EXPECT_GRADCHECK(
      [](const Vars& v) {
        return pad(v[0] * v[1], {0, 3, 2, 1, 1, 1}, PadMode::Replicate);
      },
      {x, w});
  // Pads wider than the input for replicate, a size-1 dim.
  EXPECT_GRADCHECK(
      [](const Vars& v) {
        return pad(v[0], {3, 4, 2, 0}, PadMode::Replicate);
      },
      {uniform({2, 1, 2}, -1, 1, 12, device)});
}

AG_TEST(AgMovement, PadEdgeGradientsLikePyTorch) {
  // torch: every padded position adds into its source element.
  Var x(from_vector(std::vector<double>{1, 2, 3}, {1, 3}).to(device), true);
  backward(sum(pad(x, {2, 2}, PadMode::Reflect)));
  EXPECT_EQ(x.grad().cpu().to_vector<double>(), (std::vector<double>{2, 3, 2}));
  Var y(from_vector(std::vector<double>{1, 2, 3}, {1, 3}).to(device), true);
  backward(sum(pad(y, {2, 1}, PadMode::Replicate)));
  EXPECT_EQ(y.grad().cpu().to_vector<double>(), (std::vector<double>{3, 1, 2}));
}

AG_TEST(AgMovement, PadEdgeErrors) {
  Var x(uniform({1, 2, 4}, -1, 1, 13, device), true);
  EXPECT_SP_ERROR(pad(x, {4, 0}, PadMode::Reflect), "smaller than the size");
  EXPECT_SP_ERROR(pad(x, {-1, 0}, PadMode::Replicate), "non-negative pads");
  EXPECT_SP_ERROR(pad(x, {1, 1, 1, 1, 1, 1}, PadMode::Reflect), "not the first dim");
}

AG_TEST(AgMovement, PixelShuffle) {
  Tensor x = uniform({2, 8, 2, 3}, -1, 1, 7, device);
  EXPECT_GRADCHECK([](const Vars& v) { return pixel_shuffle(v[0], 2); }, {x});
  EXPECT_GRADCHECK(
      [](const Vars& v) {
        return space_to_depth(permute(v[0], {0, 1, 3, 2}), 2);
      },
      {uniform({1, 2, 4, 6}, -1, 1, 8, device)});
}

AG_TEST(AgIndex, IndexSelectRepeatsAccumulate) {
  Tensor x = non_contiguous(uniform({4, 3}, -1, 1, 9, device));
  Tensor idx = from_vector(std::vector<int64_t>{2, 0, 2, 3}, {4}).to(device);
  EXPECT_GRADCHECK([idx](const Vars& v) { return index_select(v[0], 0, idx); }, {x});
  EXPECT_GRADCHECK(
      [idx](const Vars& v) { return index_select(v[0], 1, idx.narrow(0, 0, 3).contiguous()); },
      {x});
}

AG_TEST(AgIndex, Gather) {
  Tensor x = non_contiguous(uniform({3, 4}, -1, 1, 10, device));
  Tensor idx = from_vector(std::vector<int64_t>{0, 3, 3, 1, 2, 2, 0, 0}, {2, 4}).to(device);
  EXPECT_GRADCHECK(
      [idx](const Vars& v) { return gather(v[0], 1, idx.narrow(1, 0, 2).contiguous()); }, {x});
  EXPECT_GRADCHECK(
      [idx](const Vars& v) {
        return gather(v[0], 0,
                      sp::from_vector(std::vector<int64_t>{2, 0, 1, 2}, {1, 4}).to(v[0].device()));
      },
      {x});
}

}  // namespace
}  // namespace sp::ag

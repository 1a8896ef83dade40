#include "tensor/ops/movement.h"

#include <gtest/gtest.h>

#include "helpers/test_helpers.h"
#include "tensor/ops/creation.h"

namespace sp {
namespace {

using test::all_close;
using test::equal;

Tensor iota(const Shape& shape, double start = 0.0) {
  return arange(start, start + double(numel(shape)), 1.0, DType::F32).reshape(shape);
}

class MovementFixture : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ref_ = new std::map<std::string, Tensor>(test::load_fixture("movement.h5"));
  }
  static void TearDownTestSuite() { delete ref_; }
  const Tensor& ref(const std::string& k) { return ref_->at(k); }
  static std::map<std::string, Tensor>* ref_;
};
std::map<std::string, Tensor>* MovementFixture::ref_ = nullptr;

TEST_F(MovementFixture, CatAndStackMatchPyTorch) {
  Tensor a = iota({2, 3, 4}), b = iota({2, 2, 4}, 100);
  EXPECT_TRUE(equal(cat({a, b}, 1), ref("cat_dim1")));
  Tensor tt = a.transpose(1, 2).transpose(1, 2).slice(2, 1, 3);  // non-contiguous
  EXPECT_TRUE(equal(cat({a, tt}, -1), ref("cat_neg")));
  EXPECT_TRUE(equal(stack({a, iota({2, 3, 4}, 1)}, 2), ref("stack_dim2")));
  Tensor a2 = full({2, 3, 4}, 0.0);
  a2.copy_(a);
  EXPECT_TRUE(equal(stack({a, cat({a, a}, 0).slice(0, 0, 2), a}, -1).select(-1, 0), a));
}

TEST(Movement, CatEdgeCasesAndErrors) {
  Tensor a = iota({2, 3});
  EXPECT_EQ(cat({a, empty({0})}, 1).shape(), (Shape{2, 3}));  // legacy empty skip
  EXPECT_EQ(cat({a, empty({2, 0})}, 1).shape(), (Shape{2, 3}));
  EXPECT_EQ(cat({a.slice(0, 0, 0), a.slice(0, 0, 0)}, 0).shape(), (Shape{0, 3}));
  EXPECT_SP_ERROR(cat({a, iota({3, 3})}, 1),
                  "expected sizes to match except in dim 1, got [2, 3] and [3, 3]");
  EXPECT_SP_ERROR(cat({a, a.to(DType::F64)}, 0), "expected every tensor of dtype f32, got f64");
  EXPECT_SP_ERROR(cat({}, 0), "non-empty list");
  EXPECT_SP_ERROR(stack({a, iota({3, 2})}, 0),
                  "expected each tensor to have shape [2, 3], got [3, 2]");
  EXPECT_EQ(stack({a, a}, -3).shape(), (Shape{2, 2, 3}));
}

TEST(Movement, SplitAndChunkAreViews) {
  Tensor a = iota({7, 2});
  auto parts = split(a, 3, 0);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[2].shape(), (Shape{1, 2}));
  EXPECT_TRUE(parts[1].shares_storage(a));
  EXPECT_EQ(parts[1].to_vector<float>(), (std::vector<float>{6, 7, 8, 9, 10, 11}));
  auto sized = split(a, std::vector<int64_t>{1, 0, 6}, -2);
  EXPECT_EQ(sized[1].shape(), (Shape{0, 2}));
  EXPECT_EQ(sized[2].shape(), (Shape{6, 2}));
  EXPECT_SP_ERROR(split(a, std::vector<int64_t>{1, 2}, 0), "expected sizes summing to 7");
  auto ch = chunk(a, 3, 0);  // ceil(7/3) = 3 -> 3, 3, 1
  ASSERT_EQ(ch.size(), 3u);
  EXPECT_EQ(ch[2].shape(), (Shape{1, 2}));
  EXPECT_EQ(chunk(iota({6, 2}), 4, 0).size(), 3u);  // PyTorch also returns 3 chunks of 2
  EXPECT_EQ(chunk(a, 2, 1)[1].to_vector<float>()[0], 1.0f);
  EXPECT_SP_ERROR(split(a, 0, 0), "positive split_size");
}

TEST_F(MovementFixture, PadMatchesPyTorch) {
  Tensor x = iota({2, 3, 4, 5});
  EXPECT_TRUE(equal(pad(x, {1, 2, 0, 3}, PadMode::Constant, -1.5), ref("pad_const")));
  EXPECT_TRUE(equal(pad(x, {-1, 2, 1, -2}), ref("pad_crop")));
  EXPECT_TRUE(equal(pad(x, {2, 3, 1, 3}, PadMode::Reflect), ref("pad_reflect")));
  EXPECT_TRUE(equal(pad(x, {2, 3, 1, 0}, PadMode::Replicate), ref("pad_replicate")));
  EXPECT_TRUE(equal(pad(x.transpose(2, 3), {1, 1, 2, 0}, PadMode::Reflect), ref("pad_reflect_t")));
  EXPECT_EQ(pad(empty({2, 0}), {1, 1}).shape(), (Shape{2, 2}));
  EXPECT_SP_ERROR(pad(x, {5, 0}, PadMode::Reflect), "smaller than the size 5 of dim 3");
  EXPECT_SP_ERROR(pad(x, {1, 2, 3}), "even number of pads");
  EXPECT_SP_ERROR(pad(x, {-3, -3}), "non-negative output size");
}

TEST_F(MovementFixture, PixelShuffleMatchesPyTorch) {
  Tensor s = iota({2, 64, 3, 2});
  EXPECT_TRUE(equal(pixel_shuffle(s, 8), ref("pixel_shuffle8")));
  EXPECT_TRUE(equal(pixel_shuffle(s, 2), ref("pixel_shuffle2")));
  Tensor u = iota({2, 3, 4, 6});
  EXPECT_TRUE(equal(pixel_unshuffle(u, 2), ref("pixel_unshuffle2")));
  EXPECT_TRUE(equal(pixel_shuffle(pixel_unshuffle(u, 2), 2), u));
  EXPECT_TRUE(equal(space_to_depth(depth_to_space(s.transpose(2, 3), 4), 4),
                    s.transpose(2, 3).contiguous()));
  EXPECT_SP_ERROR(pixel_shuffle(iota({1, 6, 2, 2}), 2), "expected channels divisible by 4");
  EXPECT_SP_ERROR(pixel_unshuffle(iota({1, 1, 3, 4}), 2), "divisible by 2, got [1, 1, 3, 4]");
  EXPECT_SP_ERROR(pixel_shuffle(iota({4, 4}), 2), "rank >= 3");
}

// SuperPoint's own depth-to-space (MagicLeap demo, specs/superpoint.md 4.3): semi[:-1]
// transposed to [Hc, Wc, 64], reshaped to [Hc, Wc, 8, 8], transposed [0, 2, 1, 3] and
// reshaped to [Hc*8, Wc*8].
TEST(Movement, DepthToSpaceEqualsSuperPointFormula) {
  const int64_t hc = 3, wc = 5;
  Tensor semi = arange(0.0, double(65 * hc * wc), 1.0, DType::F32).reshape({65, hc, wc});
  Tensor nodust = semi.slice(0, 0, 64);
  Tensor heat = nodust.permute({1, 2, 0})
                    .reshape({hc, wc, 8, 8})
                    .permute({0, 2, 1, 3})
                    .reshape({hc * 8, wc * 8});
  Tensor ours = depth_to_space(nodust.unsqueeze(0), 8);
  EXPECT_EQ(ours.shape(), (Shape{1, 1, hc * 8, wc * 8}));
  EXPECT_TRUE(equal(ours.reshape({hc * 8, wc * 8}), heat));
}

// Movement ops are views plus copy_into (edge padding: a kernel), so they run on the GPU.
TEST(MovementGpu, CatStackPadShuffleMatchCpu) {
  SP_SKIP_WITHOUT_GPU();
  const Device gpu = cuda_device(0);
  Tensor a = iota({2, 64, 3, 5}), b = iota({2, 64, 1, 5}, 7);
  EXPECT_TRUE(equal(cat({a.to(gpu), b.to(gpu)}, -2).cpu(), cat({a, b}, -2)));
  EXPECT_TRUE(equal(stack({a.to(gpu).transpose(2, 3), a.to(gpu).transpose(2, 3)}, 1).cpu(),
                    stack({a.transpose(2, 3), a.transpose(2, 3)}, 1)));
  EXPECT_TRUE(equal(pad(a.to(gpu), {1, -1, 2, 0}, PadMode::Constant, 3.0).cpu(),
                    pad(a, {1, -1, 2, 0}, PadMode::Constant, 3.0)));
  EXPECT_TRUE(equal(pixel_shuffle(a.to(gpu), 8).cpu(), pixel_shuffle(a, 8)));
  EXPECT_TRUE(equal(pixel_unshuffle(iota({1, 2, 4, 6}).to(gpu), 2).cpu(),
                    pixel_unshuffle(iota({1, 2, 4, 6}), 2)));
  // Reflect / replicate have a CUDA kernel (more cases in order_gpu_test.cpp).
  EXPECT_TRUE(
      equal(pad(a.to(gpu), {1, 1}, PadMode::Reflect).cpu(), pad(a, {1, 1}, PadMode::Reflect)));
  EXPECT_TRUE(equal(pad(a.to(gpu), {2, 0, 0, 3}, PadMode::Replicate).cpu(),
                    pad(a, {2, 0, 0, 3}, PadMode::Replicate)));
}

}  // namespace
}  // namespace sp

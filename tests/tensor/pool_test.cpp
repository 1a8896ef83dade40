#include "tensor/ops/pool.h"

#include <gtest/gtest.h>

#include <cmath>

#include "helpers/test_helpers.h"
#include "tensor/ops/creation.h"

namespace sp {
namespace {

using test::all_close;

std::map<std::string, Tensor>& pool_data() {
  static std::map<std::string, Tensor> d = test::load_fixture("pool.h5");
  return d;
}

Pool2dArgs load_args(const std::string& name) {
  std::vector<int64_t> a = pool_data().at(name + "/args").to_vector<int64_t>();
  return Pool2dArgs{{a[0], a[1]}, {a[2], a[3]}, {a[4], a[5]}, {a[6], a[7]}, a[8] != 0, a[9] != 0};
}

class PoolFixture : public ::testing::TestWithParam<const char*> {};

TEST_P(PoolFixture, MaxAndAvgMatchPyTorch) {
  const std::string name = GetParam();
  auto& d = pool_data();
  const Pool2dArgs args = load_args(name);
  for (DType dt : {DType::F64, DType::F32}) {
    SCOPED_TRACE(sp::name(dt));
    const double tol = dt == DType::F64 ? 1e-12 : 1e-5;
    Tensor x = d.at(name + "/input").to(dt);
    MaxPool2dResult m = max_pool2d(x, args);
    EXPECT_TRUE(all_close(m.values, d.at(name + "/max/out").to(dt), tol, tol));
    EXPECT_TRUE(test::equal(m.indices, d.at(name + "/max/indices")));
    MaxPool2dResult values_only = max_pool2d(x, args, /*with_indices=*/false);
    EXPECT_FALSE(values_only.indices.defined());
    EXPECT_TRUE(test::equal(values_only.values, m.values));
    EXPECT_TRUE(
        all_close(max_pool2d_backward(d.at(name + "/max/grad_out").to(dt), m.indices, x.shape()),
                  d.at(name + "/max/grad_input").to(dt), tol, tol));
    if (d.count(name + "/avg/out")) {
      EXPECT_TRUE(all_close(avg_pool2d(x, args), d.at(name + "/avg/out").to(dt), tol, tol));
      EXPECT_TRUE(
          all_close(avg_pool2d_backward(d.at(name + "/avg/grad_out").to(dt), x.shape(), args),
                    d.at(name + "/avg/grad_input").to(dt), tol, tol));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Pool2d, PoolFixture,
                         ::testing::Values("k2", "odd", "k3s2p1", "k3s2p1_excl", "ceil", "overlap",
                                           "dilation", "unbatched", "ties_k9"));

TEST(Pool2d, NonContiguousInputAndDefaultStride) {
  Tensor x = pool_data().at("k2/input");
  Tensor x_nhwc = x.permute({0, 2, 3, 1}).contiguous().permute({0, 3, 1, 2});
  EXPECT_FALSE(x_nhwc.is_contiguous());
  Pool2dArgs args{.kernel = {2, 2}};  // stride defaults to the kernel
  EXPECT_TRUE(
      all_close(max_pool2d(x_nhwc, args).values, pool_data().at("k2/max/out"), 1e-12, 1e-12));
  EXPECT_TRUE(all_close(avg_pool2d(x_nhwc, args), pool_data().at("k2/avg/out"), 1e-12, 1e-12));
}

TEST(Pool2d, NanPropagatesAndSizeOne) {
  Tensor x = from_vector<float>({1.f, NAN, 3.f, 2.f}, {1, 1, 2, 2});
  MaxPool2dResult m = max_pool2d(x, {.kernel = {2, 2}});
  EXPECT_TRUE(std::isnan(m.values.item<float>()));
  EXPECT_EQ(m.indices.item<int64_t>(), 1);
  Tensor one = full({1, 1, 1, 1}, 5.0);
  EXPECT_EQ(max_pool2d(one, {.kernel = {1, 1}}).values.item<float>(), 5.0f);
  EXPECT_EQ(avg_pool2d(zeros({0, 2, 4, 4}), {.kernel = {2, 2}}).shape(), (Shape{0, 2, 2, 2}));
}

// Windows of more than 4 elements take the separable path, inner 2x2 windows at stride 2
// a branch-free one, the rest (2x2 in ceil mode) the direct path; a direct scan of each
// window in row-major order is the reference, on plateaus and NaNs.
TEST(Pool2d, WindowsMatchADirectScanWithTiesAndNans) {
  const int64_t H = 11, W = 13;
  std::vector<double> v(size_t(2 * H * W));
  for (size_t i = 0; i < v.size(); ++i) v[i] = double((i * 7) % 5 / 2);  // values 0, 1, 2 in runs
  v[17] = NAN, v[18] = NAN, v[2 * 13 + 5] = NAN, v[H * W + 40] = -INFINITY;
  Tensor x = from_vector<double>(v, {2, 1, H, W});
  for (Pool2dArgs args :
       {Pool2dArgs{.kernel = {3, 3}, .stride = {1, 1}, .padding = {1, 1}},
        Pool2dArgs{.kernel = {5, 3}, .stride = {2, 1}, .padding = {2, 0}, .dilation = {1, 2}},
        Pool2dArgs{.kernel = {3, 4}, .stride = {3, 2}, .padding = {1, 2}, .ceil_mode = true},
        Pool2dArgs{.kernel = {2, 2}, .stride = {2, 2}},
        Pool2dArgs{.kernel = {2, 2}, .stride = {2, 2}, .ceil_mode = true}}) {
    MaxPool2dResult m = max_pool2d(x, args);
    std::vector<double> got = m.values.to_vector<double>();
    std::vector<int64_t> got_i = m.indices.to_vector<int64_t>();
    const int64_t oh_n = m.values.size(2), ow_n = m.values.size(3);
    for (int64_t p = 0; p < 2; ++p)
      for (int64_t oh = 0; oh < oh_n; ++oh)
        for (int64_t ow = 0; ow < ow_n; ++ow) {
          double best = 0;
          int64_t best_i = -1;
          for (int64_t i = 0; i < args.kernel[0]; ++i)
            for (int64_t j = 0; j < args.kernel[1]; ++j) {
              const int64_t ih = oh * args.stride[0] - args.padding[0] + i * args.dilation[0];
              const int64_t iw = ow * args.stride[1] - args.padding[1] + j * args.dilation[1];
              if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
              const double e = v[size_t(p * H * W + ih * W + iw)];
              if (best_i < 0 || e > best || std::isnan(e)) best = e, best_i = ih * W + iw;
            }
          const size_t o = size_t((p * oh_n + oh) * ow_n + ow);
          SCOPED_TRACE(testing::Message() << "kernel " << args.kernel[0] << "x" << args.kernel[1]
                                          << " at " << p << ", " << oh << ", " << ow);
          EXPECT_EQ(got_i[o], best_i);
          if (std::isnan(best))
            EXPECT_TRUE(std::isnan(got[o]));
          else
            EXPECT_EQ(got[o], best);
        }
  }
}

TEST(Pool2d, ErrorsNameTheShapes) {
  EXPECT_SP_ERROR(max_pool2d(zeros({4, 4}), {.kernel = {2, 2}}),
                  "[N, C, H, W] or [C, H, W], got [4, 4]");
  EXPECT_SP_ERROR(max_pool2d(zeros({1, 1, 4, 4}), {.kernel = {2, 2}, .padding = {2, 0}}),
                  "padding at most half the kernel size [2, 2], got [2, 0]");
  EXPECT_SP_ERROR(max_pool2d(zeros({1, 1, 2, 2}), {.kernel = {3, 3}}),
                  "got an output of size [0, 0]");
  EXPECT_SP_ERROR(avg_pool2d(zeros({1, 1, 4, 4}), {.kernel = {2, 2}, .dilation = {2, 2}}),
                  "avg_pool2d: expected no dilation, got [2, 2]");
  EXPECT_SP_ERROR(avg_pool2d(zeros({1, 1, 4, 4}, DType::I64), {.kernel = {2, 2}}),
                  "f32 or f64, got i64");
  EXPECT_SP_ERROR(avg_pool2d_backward(zeros({1, 1, 3, 3}), {1, 1, 4, 4}, {.kernel = {2, 2}}),
                  "expected grad_out of shape [1, 1, 2, 2], got [1, 1, 3, 3]");
  EXPECT_SP_ERROR(
      max_pool2d_backward(zeros({1, 1, 2, 2}), zeros({1, 1, 2, 2}, DType::I64), {2, 1, 4, 4}),
      "leading dims of the input shape [2, 1, 4, 4]");
}

}  // namespace
}  // namespace sp

#include "tensor/ops/conv.h"

#include <gtest/gtest.h>

#include "helpers/test_helpers.h"
#include "tensor/cpu/conv_winograd.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/elementwise.h"
#include "tensor/ops/random.h"
#include "tensor/ops/reduce.h"

namespace sp {
namespace {

using test::all_close;

std::map<std::string, Tensor>& conv_data() {
  static std::map<std::string, Tensor> d = test::load_fixture("conv.h5");
  return d;
}

struct ConvCase {
  Tensor input, weight, bias, out, grad_out, grad_input, grad_weight, grad_bias;
  Conv2dArgs args;
};

ConvCase load_case(const std::string& name, DType dtype) {
  auto& d = conv_data();
  auto get = [&](const std::string& k) {
    auto it = d.find(name + "/" + k);
    return it == d.end() ? Tensor() : it->second.to(dtype);
  };
  ConvCase c{get("input"),      get("weight"),      get("bias"),      get("out"), get("grad_out"),
             get("grad_input"), get("grad_weight"), get("grad_bias"), {}};
  std::vector<int64_t> a = d.at(name + "/args").to_vector<int64_t>();
  c.args = Conv2dArgs{{a[0], a[1]}, {a[2], a[3]}, {a[4], a[5]}, a[6]};
  return c;
}

class ConvFixture : public ::testing::TestWithParam<const char*> {};

TEST_P(ConvFixture, ForwardAndBackwardMatchPyTorch) {
  for (DType dt : {DType::F64, DType::F32}) {
    SCOPED_TRACE(name(dt));
    const double tol = dt == DType::F64 ? 1e-10 : 2e-4;
    ConvCase c = load_case(GetParam(), dt);
    EXPECT_TRUE(all_close(conv2d(c.input, c.weight, c.bias, c.args), c.out, tol, tol));
    EXPECT_TRUE(all_close(conv2d_backward_input(c.grad_out, c.input.shape(), c.weight, c.args),
                          c.grad_input, tol, tol));
    EXPECT_TRUE(all_close(conv2d_backward_weight(c.grad_out, c.input, c.weight.shape(), c.args),
                          c.grad_weight, tol, tol));
    if (c.bias.defined()) {
      EXPECT_TRUE(all_close(conv2d_backward_bias(c.grad_out), c.grad_bias, tol, tol));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Conv2d, ConvFixture,
                         ::testing::Values("basic", "stride2", "dilation", "groups", "depthwise",
                                           "pointwise", "pointwise_stride", "rect", "big_pad",
                                           "tiles", "tiles_stride2", "winograd",
                                           "winograd_mixed_pad"));

// f32 3x3 stride-1 convolutions with >= 16 channels take the Winograd path; the f64
// im2col result of the same values is the reference (odd sizes, both paddings, batches
// that split into uneven tile blocks, SuperPoint's channel counts).
TEST(Conv2d, WinogradF32MatchesF64Im2col) {
  struct Case {
    Shape input;
    int64_t out;
    std::array<int64_t, 2> padding;
  };
  for (const Case& c : {Case{{2, 16, 17, 23}, 16, {1, 1}}, Case{{1, 64, 30, 40}, 128, {1, 1}},
                        Case{{3, 32, 11, 8}, 48, {0, 1}}, Case{{1, 16, 3, 3}, 16, {0, 0}},
                        Case{{1, 128, 15, 20}, 256, {1, 1}}, Case{{1, 16, 9, 150}, 16, {0, 0}}}) {
    SCOPED_TRACE(testing::Message() << c.input << " -> " << c.out);
    const int64_t fan_in = c.input[1] * 9;
    Generator gen(7);
    Tensor x = randn(c.input, gen, DType::F64);
    Tensor w = mul(randn({c.out, c.input[1], 3, 3}, gen, DType::F64),
                   Scalar(1.0 / std::sqrt(double(fan_in))));
    Tensor b = randn({c.out}, gen, DType::F64);
    Conv2dArgs args{.padding = c.padding};
    Tensor expected = conv2d(x, w, b, args);
    Tensor got = conv2d(x.to(DType::F32), w.to(DType::F32), b.to(DType::F32), args);
    EXPECT_TRUE(all_close(got.to(DType::F64), expected, 1e-4, 1e-4));
  }
}

// Both ways of sharing the Winograd work among threads, forced, on shapes whose output
// channels leave a partial register block (30 = 2 x 12 + 6, 20, 5 x 12 + 4) and whose
// tiles leave partial groups and groups that span tile rows.
TEST(Conv2d, WinogradSplitsMatchF64Im2col) {
  struct Case {
    Shape input;
    int64_t out;
  };
  // {1, 16, 10, 200}: runs of tiles far enough from the sides are read in place.
  for (const Case& c : {Case{{4, 20, 9, 13}, 30}, Case{{1, 16, 70, 90}, 20},
                        Case{{2, 24, 21, 35}, 64}, Case{{1, 16, 10, 200}, 16}}) {
    Generator gen(11);
    Tensor x = randn(c.input, gen, DType::F64);
    Tensor w = mul(randn({c.out, c.input[1], 3, 3}, gen, DType::F64),
                   Scalar(1.0 / std::sqrt(c.input[1] * 9.0)));
    Tensor b = randn({c.out}, gen, DType::F64);
    const Conv2dArgs args{.padding = {1, 1}};
    Tensor expected = conv2d(x, w, b, args);
    for (cpu::WinogradSplit split :
         {cpu::WinogradSplit::Groups, cpu::WinogradSplit::GroupsAndOutputChannels}) {
      SCOPED_TRACE(testing::Message() << c.input << " -> " << c.out << ", split " << int(split));
      Tensor got = empty(expected.shape(), DType::F32);
      cpu::conv2d_winograd(got, x.to(DType::F32), w.to(DType::F32), b.to(DType::F32), args, split);
      EXPECT_TRUE(all_close(got.to(DType::F64), expected, 1e-4, 1e-4));
    }
  }
}

// The f32 input gradient of 3x3 stride-1 convolutions with >= 16 channels runs as a
// Winograd convolution of grad_out with the flipped weights (padding 2 - p).
TEST(Conv2d, WinogradBackwardInputMatchesF64Im2col) {
  for (const auto& [input, out, pad] : {std::tuple<Shape, int64_t, int64_t>{{2, 16, 13, 22}, 24, 1},
                                        {{1, 32, 30, 40}, 64, 1},
                                        {{3, 20, 9, 11}, 17, 0}}) {
    SCOPED_TRACE(testing::Message() << input << " -> " << out << ", padding " << pad);
    Generator gen(5);
    const Conv2dArgs args{.padding = {pad, pad}};
    Tensor w = randn({out, input[1], 3, 3}, gen, DType::F64);
    Tensor grad_out =
        randn(conv2d(zeros(input, DType::F64), w, Tensor(), args).shape(), gen, DType::F64);
    ASSERT_TRUE(cpu::winograd_applies_to_backward_input(grad_out.to(DType::F32), w.shape(), args));
    Tensor expected = conv2d_backward_input(grad_out, input, w, args);
    Tensor got = conv2d_backward_input(grad_out.to(DType::F32), input, w.to(DType::F32), args);
    EXPECT_TRUE(all_close(got.to(DType::F64), expected, 1e-4, 1e-3));
  }
}

// The f32 weight gradient of the same convolutions sums Winograd-domain products over all
// tiles (up to 600 here, several images) before transforming back.
TEST(Conv2d, WinogradBackwardWeightMatchesF64Im2col) {
  for (const auto& [input, out, pad] :
       {std::tuple<Shape, int64_t, std::array<int64_t, 2>>{{2, 16, 30, 40}, 32, {1, 1}},
        {{1, 32, 61, 83}, 16, {1, 1}},
        {{3, 20, 9, 11}, 17, {0, 0}},
        {{2, 24, 14, 19}, 20, {1, 0}}}) {
    SCOPED_TRACE(testing::Message()
                 << input << " -> " << out << ", padding " << pad[0] << ", " << pad[1]);
    Generator gen(9);
    const Conv2dArgs args{.padding = pad};
    const Shape w_shape{out, input[1], 3, 3};
    Tensor x = randn(input, gen, DType::F64);
    Tensor grad_out =
        randn(conv2d(x, zeros(w_shape, DType::F64), Tensor(), args).shape(), gen, DType::F64);
    ASSERT_TRUE(cpu::winograd_applies(x.to(DType::F32), w_shape, args));
    Tensor expected = conv2d_backward_weight(grad_out, x, w_shape, args);
    Tensor got = conv2d_backward_weight(grad_out.to(DType::F32), x.to(DType::F32), w_shape, args);
    // Sums of ~10^4 terms of size ~1: compared relative to the largest entry.
    const double scale = max(abs(expected)).item<double>();
    EXPECT_TRUE(all_close(got.to(DType::F64), expected, 1e-4, 1e-5 * scale));
  }
}

TEST(Conv2d, NonContiguousInputsAndUnbatched) {
  ConvCase c = load_case("basic", DType::F64);
  // A channels-last copy viewed as NCHW, and a transposed weight copy viewed back.
  Tensor x_nhwc = c.input.permute({0, 2, 3, 1}).contiguous().permute({0, 3, 1, 2});
  Tensor w_t = c.weight.transpose(2, 3).contiguous().transpose(2, 3);
  EXPECT_FALSE(x_nhwc.is_contiguous());
  EXPECT_TRUE(all_close(conv2d(x_nhwc, w_t, c.bias, c.args), c.out, 1e-10, 1e-10));
  Tensor go_t = c.grad_out.transpose(2, 3).contiguous().transpose(2, 3);
  EXPECT_TRUE(all_close(conv2d_backward_input(go_t, c.input.shape(), w_t, c.args), c.grad_input,
                        1e-10, 1e-10));
  EXPECT_TRUE(all_close(conv2d_backward_weight(go_t, x_nhwc, c.weight.shape(), c.args),
                        c.grad_weight, 1e-10, 1e-10));
  // Unbatched [C, H, W] input gives [out, Ho, Wo].
  Tensor single = conv2d(c.input[1], c.weight, c.bias, c.args);
  EXPECT_TRUE(all_close(single, c.out[1], 1e-10, 1e-10));
}

TEST(Conv2d, SizeOneBatchAndSpatial) {
  Tensor x = ones({1, 2, 1, 1}, DType::F32), w = full({3, 2, 1, 1}, 0.5, DType::F32);
  Tensor y = conv2d(x, w, full({3}, 1.0));
  EXPECT_TRUE(all_close(y, full({1, 3, 1, 1}, 2.0)));
  // A 3x3 kernel on a 1x1 image with padding 1 only sees its centre tap.
  Tensor w3 = ones({1, 2, 3, 3});
  EXPECT_TRUE(all_close(conv2d(x, w3, {}, {.padding = {1, 1}}), full({1, 1, 1, 1}, 2.0)));
  EXPECT_EQ(conv2d(zeros({0, 2, 5, 5}), w3).shape(), (Shape{0, 1, 3, 3}));
}

TEST(Conv2d, ErrorsNameTheShapes) {
  Tensor x = zeros({1, 6, 8, 8});
  EXPECT_SP_ERROR(conv2d(zeros({1, 3, 8, 8}), zeros({64, 2, 3, 3})),
                  "conv2d: expected weight of shape [out, in/groups, kh, kw] with in/groups = 3, "
                  "got [64, 2, 3, 3]");
  EXPECT_SP_ERROR(conv2d(zeros({8, 8}), zeros({1, 1, 3, 3})),
                  "expected input of shape [N, C, H, W] or [C, H, W], got [8, 8]");
  EXPECT_SP_ERROR(conv2d(x, zeros({4, 3, 3, 3}), {}, {.groups = 4}), "divisible by groups = 4");
  EXPECT_SP_ERROR(conv2d(x, zeros({4, 6, 3, 3}), zeros({3})),
                  "expected bias of shape [4], got [3]");
  EXPECT_SP_ERROR(conv2d(zeros({1, 1, 2, 2}), zeros({1, 1, 3, 3})), "got an output of size [0, 0]");
  EXPECT_SP_ERROR(conv2d(x, zeros({4, 6, 3, 3}), {}, {.stride = {0, 1}}),
                  "expected positive stride, got [0, 1]");
  EXPECT_SP_ERROR(conv2d(x, zeros({4, 6, 3, 3}, DType::F64)),
                  "expected weight of dtype f32 like input, got f64");
  EXPECT_SP_ERROR(conv2d_backward_input(zeros({1, 4, 5, 5}), {1, 6, 8, 8}, zeros({4, 6, 3, 3})),
                  "expected grad_out of shape [1, 4, 6, 6], got [1, 4, 5, 5]");
}

}  // namespace
}  // namespace sp

#include "nn/layers.h"

#include <gtest/gtest.h>

#include <cmath>

#include "autograd/gradcheck.h"
#include "helpers/test_helpers.h"
#include "nn/pth.h"
#include "tensor/ops/creation.h"

namespace sp::nn {
namespace {

Tensor wavy(const Shape& s, double phase) {
  std::vector<double> v(numel(s));
  for (size_t k = 0; k < v.size(); ++k)
    v[k] = std::sin(0.71 * double(k) + phase) + 0.05 * double(k % 5);
  return from_vector(v, s);
}

TEST(Layers, Conv2dNamesShapesAndDefaultInit) {
  Generator gen(1);
  Conv2d conv(3, 4, 3, 1, 1, gen);
  EXPECT_EQ(conv.param("weight").shape(), (Shape{4, 3, 3, 3}));
  EXPECT_EQ(conv.param("bias").shape(), (Shape{4}));
  auto w = conv.param("weight").data().to_vector<float>();
  for (float x : w) EXPECT_LE(std::abs(x), 1.0f / std::sqrt(27.0f));
  // Loads the PyTorch conv of tests/reference/nn_pth.py by name.
  auto sd =
      load_pth(test::fixture_path("nn_pth_zip.pth"), {.select = "", .strip_prefix = "conv1."});
  TensorMap conv_sd{{"weight", sd.at("weight")}, {"bias", sd.at("bias")}};
  conv.load_state_dict(conv_sd);
  ag::Var y = conv(ag::Var(ones({2, 3, 5, 5})));
  EXPECT_EQ(y.shape(), (Shape{2, 4, 5, 5}));
  EXPECT_SP_ERROR(Conv2d(3, 4, 3).forward(ag::Var(ones({3, 5}))), "[N, C, H, W]");
}

TEST(Layers, ConvAndPoolGradientsPassGradcheck) {
  Conv2dOptions o;
  o.in_channels = 2, o.out_channels = 3, o.kernel = {3, 2};
  o.args.stride = {2, 1};
  o.args.padding = {1, 0};
  auto conv_fn = [&](const std::vector<ag::Var>& in) {
    return F::conv2d(in[0], in[1], in[2], o.args);
  };
  auto r = ag::gradcheck(conv_fn, {wavy({2, 2, 5, 4}, 0), wavy({3, 2, 3, 2}, 1), wavy({3}, 2)});
  EXPECT_TRUE(r.ok) << r.message;
  Pool2dArgs p;
  p.kernel = {2, 2};
  auto max_fn = [&](const std::vector<ag::Var>& in) { return F::max_pool2d(in[0], p); };
  r = ag::gradcheck(max_fn, {wavy({1, 2, 4, 6}, 0.3)});
  EXPECT_TRUE(r.ok) << r.message;
  p.padding = {1, 1};
  auto avg_fn = [&](const std::vector<ag::Var>& in) { return F::avg_pool2d(in[0], p); };
  r = ag::gradcheck(avg_fn, {wavy({1, 2, 4, 5}, 0.7)});
  EXPECT_TRUE(r.ok) << r.message;
  EXPECT_EQ(Sequential({std::make_shared<MaxPool2d>(Pool2dArgs{}),
                        std::make_shared<AvgPool2d>(Pool2dArgs{})})
                .forward(ag::Var(ones({1, 1, 8, 8})))
                .shape(),
            (Shape{1, 1, 2, 2}));
}

}  // namespace
}  // namespace sp::nn

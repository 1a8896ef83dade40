// spmatch --matcher lightglue over feature files (hloc and DISK layouts) with the tiny
// LightGlue of tests/reference/models_lightglue.py: the written matches are the
// reference's; image sizes come from hloc's image_size or from --images; bad inputs
// fail naming what is wrong; an image without keypoints matches nothing.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "data/image_io.h"
#include "features/feature_files.h"
#include "helpers/test_helpers.h"
#include "procedures/match_features.h"
#include "tensor/ops/creation.h"

namespace fs = std::filesystem;

namespace sp::procedures {
namespace {

const std::map<std::string, Tensor>& fixture() {
  static const std::map<std::string, Tensor> f = test::load_fixture("models_lightglue.h5");
  return f;
}

features::ImageFeatures view(const std::string& v, int64_t dim = 16) {
  const std::string c = "adaptive/";
  features::ImageFeatures f;
  f.keypoints = fixture().at(c + "keypoints" + v).select(0, 0).contiguous();
  f.descriptors = fixture().at(c + "descriptors" + v).select(0, 0).contiguous();
  if (dim != 16) f.descriptors = zeros({f.keypoints.size(0), dim});
  f.scores = zeros({f.keypoints.size(0)});
  const std::vector<float> size = fixture().at(c + "image_size" + v).to_vector<float>();
  f.width = int64_t(size[0]);
  f.height = int64_t(size[1]);
  return f;
}

// The reference's matches of the adaptive case as [K, 2] pairs.
Tensor expected_pairs() {
  const std::vector<int64_t> m0 = fixture().at("adaptive/matches0").to_vector<int64_t>();
  std::vector<int64_t> pairs;
  for (size_t i = 0; i < m0.size(); ++i)
    if (m0[i] >= 0) pairs.insert(pairs.end(), {int64_t(i), m0[i]});
  return from_vector(pairs, {int64_t(pairs.size() / 2), 2});
}

void write_features(const std::string& path, features::FeatureLayout layout, int64_t dim = 16) {
  features::FeatureWriter w(path, layout);
  w.write("a", view("0", dim));
  w.write("b", view("1", dim));
  w.write("e", features::ImageFeatures{zeros({0, 2}), zeros({0}), zeros({0, dim}), 0, 0});
  w.close();
}

MatchCommand command(const std::string& features, const std::string& pairs) {
  MatchCommand m;
  m.features = features;
  m.pairs = pairs;
  m.matcher = "lightglue";
  m.weights = test::fixture_path("models_lightglue_tiny.pth");
  m.save_threshold = 0;
  m.device = "cpu";
  return m;
}

TEST(SpmatchLightGlue, HlocLayoutMatchesTheReference) {
  const fs::path dir = test::temp_dir("spmatch_lightglue_hloc");
  const std::string feats = (dir / "features.h5").string();
  write_features(feats, features::FeatureLayout::Hloc);
  const std::string pairs = (dir / "pairs.txt").string();
  std::ofstream(pairs) << "a b\na e\n";
  const MatchReport r = match_features(command(feats, pairs));
  EXPECT_EQ(r.pairs, 2);
  features::MatchReader reader(r.output, features::MatchLayout::Hloc);
  EXPECT_TRUE(test::equal(reader.read("a", "b"), expected_pairs()));
  EXPECT_EQ(reader.read("a", "e").size(0), 0);  // no keypoints: nothing matched
}

TEST(SpmatchLightGlue, DiskLayoutTakesImageSizesFromTheImages) {
  const fs::path dir = test::temp_dir("spmatch_lightglue_disk");
  const std::string feats = (dir / "out").string();
  write_features(feats, features::FeatureLayout::Disk);
  const std::string pairs = (dir / "pairs.txt").string();
  std::ofstream(pairs) << "a b\n";
  MatchCommand m = command(feats, pairs);
  EXPECT_SP_ERROR(match_features(m), "--images");
  const fs::path images = dir / "images";
  fs::create_directories(images);
  for (const char* v : {"0", "1"}) {
    const features::ImageFeatures f = view(v);
    data::write_ppm((images / (v[0] == '0' ? "a.ppm" : "b.ppm")).string(),
                    zeros({3, f.height, f.width}));
  }
  m.images = images.string();
  const MatchReport r = match_features(m);
  EXPECT_EQ(r.written, 1);
  features::MatchReader reader(r.output, features::MatchLayout::Disk);
  EXPECT_TRUE(test::equal(reader.read("a", "b"), expected_pairs()));
}

TEST(SpmatchLightGlue, BadInputsFailClearly) {
  const fs::path dir = test::temp_dir("spmatch_lightglue_bad");
  const std::string feats = (dir / "features.h5").string();
  write_features(feats, features::FeatureLayout::Hloc, /*dim=*/24);
  const std::string pairs = (dir / "pairs.txt").string();
  std::ofstream(pairs) << "a b\n";
  MatchCommand m = command(feats, pairs);
  EXPECT_SP_ERROR(match_features(m), "16-D descriptors");
  m.weights.clear();
  EXPECT_SP_ERROR(match_features(m), "--weights");
  m.weights = test::fixture_path("models_disk_tiny.pth");
  EXPECT_SP_ERROR(match_features(m), "LightGlue state dict");
}

}  // namespace
}  // namespace sp::procedures

#include "features/feature_files.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "helpers/test_helpers.h"
#include "tensor/io/hdf5.h"
#include "tensor/ops/creation.h"

namespace sp::features {
namespace {

namespace fs = std::filesystem;

ImageFeatures sample(int64_t n, int64_t D, uint64_t seed) {
  ImageFeatures f;
  f.keypoints = test::lcg_uniform({n, 2}, seed, 0, 100, 21).to(DType::F32);
  f.scores = test::lcg_uniform({n}, seed, 0, 1, 22).to(DType::F32);
  if (D > 0) f.descriptors = test::lcg_uniform({n, D}, seed, -1, 1, 23).to(DType::F32);
  f.width = 120, f.height = 90;
  return f;
}

void expect_same(const ImageFeatures& a, const ImageFeatures& b, double tol) {
  EXPECT_TRUE(test::all_close(a.keypoints, b.keypoints, tol, tol));
  EXPECT_TRUE(test::all_close(a.scores, b.scores, tol, tol));
  ASSERT_EQ(a.has_descriptors(), b.has_descriptors());
  if (a.has_descriptors()) {
    EXPECT_TRUE(test::all_close(a.descriptors, b.descriptors, tol, tol));
  }
}

TEST(FeatureFiles, RoundTripInEveryLayout) {
  const std::string dir = test::temp_dir("feature_files_rt");
  const ImageFeatures a = sample(7, 5, 1), b = sample(0, 5, 2), c = sample(4, 4, 3);
  for (FeatureLayout layout : {FeatureLayout::Sp, FeatureLayout::Hloc, FeatureLayout::Disk}) {
    for (bool half : {false, true}) {
      if (layout == FeatureLayout::Sp && half) continue;
      const std::string path = dir + "/" + layout_name(layout) + (half ? "_half" : "") +
                               (layout == FeatureLayout::Disk ? "" : ".h5");
      FeatureWriter w(path, layout, {.half = half});
      w.write("seq/a", a,
              layout == FeatureLayout::Disk
                  ? std::map<std::string, int64_t>{}
                  : std::map<std::string, int64_t>{{"processing_width", 60}});
      w.write("b", b);
      w.write("c", c);
      EXPECT_FALSE(fs::exists(layout == FeatureLayout::Disk ? path + "/keypoints.h5" : path))
          << "visible before close";
      w.close();
      FeatureReader r(path);
      EXPECT_EQ(r.names(), (std::vector<std::string>{"b", "c", "seq/a"})) << path;
      const double tol = half ? 2e-3 * 100 : 0;
      expect_same(r.read("seq/a"), a, tol);
      expect_same(r.read("b"), b, tol);
      // A square descriptor matrix stays [N, D] in the sp layout and is read back from
      // hloc's [D, N] thanks to its image_size.
      expect_same(r.read("c"), c, tol);
      if (layout == FeatureLayout::Hloc) {
        EXPECT_EQ(r.read("c").width, 120);
      }
      if (layout != FeatureLayout::Disk) {
        EXPECT_EQ(r.attribute("seq/a", "processing_width", 0), 60);
      }
      EXPECT_SP_ERROR(r.read("missing"), "'missing'");
    }
  }
}

TEST(FeatureFiles, AnAbandonedWriterLeavesNothing) {
  const std::string dir = test::temp_dir("feature_files_abandon");
  {
    FeatureWriter w(dir + "/f.h5", FeatureLayout::Sp);
    w.write("x", sample(3, 2, 4));
  }  // destroyed without close(), as after an exception
  EXPECT_TRUE(fs::is_empty(dir)) << "temporary files left behind";
  FeatureWriter w(dir + "/g.h5", FeatureLayout::Hloc);
  ImageFeatures bad = sample(3, 2, 5);
  bad.scores = zeros({4});
  EXPECT_SP_ERROR(w.write("x", bad), "features of x for");
}

TEST(FeatureFiles, ReadsWhatH5pyWroteInHlocAndDiskLayouts) {
  const std::string root = test::fixture_path("feature_files");
  auto expected = test::load_fixture("feature_files/expected.h5");
  FeatureReader hloc(root + "/hloc_features.h5");
  EXPECT_EQ(hloc.names(), (std::vector<std::string>{"b.png", "seq/a.jpg"}));
  ImageFeatures a = hloc.read("seq/a.jpg");
  EXPECT_EQ(a.descriptors.shape(), Shape({5, 4}));  // transposed back from [D, N]
  EXPECT_EQ(a.width, 640);
  EXPECT_EQ(a.height, 480);
  EXPECT_TRUE(test::all_close(a.keypoints, expected.at("seq_a.jpg/keypoints"), 1e-3, 0.5));
  EXPECT_TRUE(test::all_close(a.descriptors, expected.at("seq_a.jpg/descriptors"), 1e-3, 1e-3));

  FeatureReader disk(root + "/disk");
  EXPECT_EQ(disk.layout(), FeatureLayout::Disk);
  EXPECT_EQ(disk.names(), (std::vector<std::string>{"a", "b"}));
  ImageFeatures b = disk.read("b");
  EXPECT_TRUE(test::equal(b.keypoints, expected.at("b.png/keypoints")));
  EXPECT_TRUE(test::equal(b.scores, expected.at("b.png/scores")));
  EXPECT_TRUE(test::equal(b.descriptors, expected.at("b.png/descriptors")));

  MatchReader hm(root + "/hloc_matches.h5", MatchLayout::Hloc);
  EXPECT_EQ(hm.read("seq/a.jpg", "b.png").to_vector<int64_t>(),
            (std::vector<int64_t>{0, 2, 2, 0, 4, 1}));
  // Read the other way round: flipped, ordered by the first image's index.
  EXPECT_EQ(hm.read("b.png", "seq/a.jpg").to_vector<int64_t>(),
            (std::vector<int64_t>{0, 2, 1, 4, 2, 0}));
  MatchReader dm(root + "/disk", MatchLayout::Disk);
  EXPECT_EQ(dm.read("a", "b").to_vector<int64_t>(), (std::vector<int64_t>{0, 2, 2, 0, 4, 1}));
  EXPECT_EQ(dm.read("b", "a").to_vector<int64_t>(), (std::vector<int64_t>{0, 2, 1, 4, 2, 0}));
  EXPECT_SP_ERROR(dm.read("a", "c"), "'a' and 'c'");
}

TEST(FeatureFiles, MatchFilesRoundTrip) {
  const std::string dir = test::temp_dir("match_files_rt");
  const Tensor m0 = from_vector<int64_t>({3, -1, 0, 1});
  const Tensor s0 = from_vector<float>({0.5f, 0, 0.25f, 1});
  for (MatchLayout layout : {MatchLayout::Hloc, MatchLayout::Disk}) {
    const std::string path = dir + (layout == MatchLayout::Hloc ? "/hloc_matches.h5" : "/disk");
    {
      MatchWriter w(path, layout);
      w.write("x/one.jpg", "two.jpg", m0, s0);
      w.write("zeta", "alpha", m0, s0);  // DISK stores it as alpha -> zeta
      w.close();
    }
    MatchReader r(path, layout);
    EXPECT_EQ(r.read("x/one.jpg", "two.jpg").to_vector<int64_t>(),
              (std::vector<int64_t>{0, 3, 2, 0, 3, 1}));
    EXPECT_EQ(r.read("zeta", "alpha").to_vector<int64_t>(),
              (std::vector<int64_t>{0, 3, 2, 0, 3, 1}));
    EXPECT_EQ(r.read("alpha", "zeta").to_vector<int64_t>(),
              (std::vector<int64_t>{0, 2, 1, 3, 3, 0}));
  }
  io::H5File h(dir + "/hloc_matches.h5", io::H5File::Mode::Read);
  EXPECT_TRUE(h.has("x-one.jpg/two.jpg/matches0"));
  MatchWriter too_big(dir + "/big.h5", MatchLayout::Hloc);
  EXPECT_SP_ERROR(too_big.write("a", "b", from_vector<int64_t>({40000}), from_vector<float>({1})),
                  "int16");
}

// Found by tests/fuzz/feature_files_fuzz.cpp and its review (docs/FUZZING.md).
TEST(FeatureFilesFuzz, ImageSizeMustHoldWholePositivePixels) {
  const std::string dir = test::temp_dir("feature_files_image_size");
  const double nan = std::nan("");
  const std::vector<std::vector<double>> bad = {{nan, 480}, {640, 1e30},  {-3, 480},
                                                {0, 480},   {640.5, 480}, {4294967296.0, 480}};
  for (size_t k = 0; k <= bad.size(); ++k) {
    const std::string path = dir + "/f" + std::to_string(k) + ".h5";
    {
      io::H5File f(path, io::H5File::Mode::Truncate);
      f.write("a/keypoints", from_vector<float>({1, 2}, {1, 2}));
      f.write("a/image_size",
              k < bad.size() ? from_vector<double>(bad[k]) : from_vector<double>({640, 480}));
    }
    FeatureReader r(path);
    if (k < bad.size()) {
      EXPECT_SP_ERROR(r.read("a"), "image_size (W, H) in whole pixels");
    } else {
      EXPECT_EQ(r.read("a").width, 640);
    }
  }
}

TEST(FeatureFilesFuzz, KeypointsAndScoresMustBeFinite) {
  const std::string dir = test::temp_dir("feature_files_finite");
  const double nan = std::nan("");
  {
    io::H5File f(dir + "/f.h5", io::H5File::Mode::Truncate);
    f.write("nan/keypoints", from_vector<float>({1, float(nan)}, {1, 2}));
    f.write("big/keypoints", from_vector<double>({1, 1e300}, {1, 2}));  // inf as f32
    f.write("inf_score/keypoints", from_vector<float>({1, 2}, {1, 2}));
    f.write("inf_score/keypoint_scores", from_vector<double>({-1e300}));
  }
  FeatureReader r(dir + "/f.h5");
  EXPECT_SP_ERROR(r.read("nan"), "expected finite keypoints");
  EXPECT_SP_ERROR(r.read("big"), "expected finite keypoints");
  EXPECT_SP_ERROR(r.read("inf_score"), "expected finite scores");
}

TEST(FeatureFilesFuzz, MatchIndicesMustBeIntegersAndNotNegative) {
  const std::string dir = test::temp_dir("match_files_indices");
  {
    io::H5File f(dir + "/m.h5", io::H5File::Mode::Truncate);
    f.write("float/b/matches0", from_vector<float>({0.5f, float(std::nan(""))}));
    f.write("rank2/b/matches0", from_vector<int64_t>({0, 1, -1, 0}, {2, 2}));
    f.write("minus2/b/matches0", from_vector<int64_t>({0, -2}));
    f.write("ok/b/matches0", from_vector<int64_t>({1, -1}));
    f.write("disk_float/b", from_vector<double>({0, 1e30}, {2, 1}));
    f.write("negative/b", from_vector<int64_t>({-1, 0}, {2, 1}));
  }
  MatchReader hloc(dir + "/m.h5", MatchLayout::Hloc);
  EXPECT_SP_ERROR(hloc.read("float", "b"), "expected integer indices");
  EXPECT_SP_ERROR(hloc.read("rank2", "b"), "expected matches0 [N]");
  EXPECT_SP_ERROR(hloc.read("minus2", "b"), "keypoint indices or -1");
  EXPECT_EQ(hloc.read("ok", "b").to_vector<int64_t>(), (std::vector<int64_t>{0, 1}));
  MatchReader disk(dir + "/m.h5", MatchLayout::Disk);
  EXPECT_SP_ERROR(disk.read("disk_float", "b"), "expected integer indices");
  EXPECT_SP_ERROR(disk.read("negative", "b"), "indices >= 0");
  EXPECT_SP_ERROR(disk.read("b", "negative"), "indices >= 0");
}

TEST(FeatureFilesFuzz, HlocSquareDescriptorsNeedTheImageSize) {
  const std::string dir = test::temp_dir("feature_files_square");
  ImageFeatures f = sample(3, 3, 7);
  f.width = f.height = 0;
  FeatureWriter w(dir + "/f.h5", FeatureLayout::Hloc);
  EXPECT_SP_ERROR(w.write("a", f), "would read back transposed");
  f.width = 10, f.height = 8;
  w.write("a", f);
  w.close();
  expect_same(FeatureReader(dir + "/f.h5").read("a"), f, 0);
}

}  // namespace
}  // namespace sp::features

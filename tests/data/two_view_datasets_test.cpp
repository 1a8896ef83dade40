// Two-view datasets on the small scenes of tests/reference/data_two_view_scenes.py
// (Middlebury "Motorcycle" views in MegaDepth's layout, and pycolmap's reconstruction of
// them): MegaDepth sampling and samples, bad input, COLMAP binary/text reading and the
// round trip to posed pairs whose ground-truth matches fit their poses, homography pairs.
#include <filesystem>
#include <set>

#include "data/colmap_dataset.h"
#include "data/homography_pairs.h"
#include "data/loader.h"
#include "data/megadepth.h"
#include "geometry/epipolar.h"
#include "geometry/gt_matches.h"
#include "helpers/test_helpers.h"
#include "tensor/io/hdf5.h"
#include "tensor/ops/creation.h"

namespace sp::data {
namespace {

namespace fs = std::filesystem;

std::string scenes(const std::string& sub) {
  return test::fixture_path("two_view_scenes/" + sub);
}

MegaDepthConfig moto(int64_t num_per_scene = 4) {
  MegaDepthConfig c;
  c.root = scenes("megadepth");
  c.scenes = {"moto"};
  c.num_per_scene = num_per_scene;
  c.min_overlap = 0.4;
  c.max_overlap = 1.0;
  c.num_overlap_bins = 2;
  c.posed.resize.mode = "long";
  c.posed.resize.size = 192;
  c.posed.resize.pad = "square";
  return c;
}

TEST(MegaDepth, ReadsSceneInfoAndSkipsUnusableImages) {
  const auto s = MegaDepthDataset::read_scenes(moto());
  ASSERT_EQ(s.names, std::vector<std::string>{"moto"});
  ASSERT_EQ(s.views.size(), 4u);  // "unused.jpg" has no depth
  EXPECT_EQ(s.views[0].name, "moto/left.jpg");
  EXPECT_TRUE(fs::exists(s.views[0].image));
  EXPECT_TRUE(fs::exists(s.views[3].depth));
  EXPECT_NEAR(s.views[1].t.x(), -0.193, 1e-3);
  EXPECT_GT(s.overlap[0][0][1], 0.9);
}

TEST(MegaDepth, OverlapBinsAreRedrawnEachEpochWithAFixedSize) {
  MegaDepthDataset d(moto());
  // Bins (0.4, 0.7] (8 candidates) and (0.7, 1] (2 < 2 * 2: skipped) -> 4 pairs from the first.
  ASSERT_EQ(d.size(), 4);
  std::set<std::vector<int64_t>> seen;
  for (int64_t e = 0; e < 6; ++e) {
    d.begin_epoch(e);
    ASSERT_EQ(d.size(), 4);
    std::vector<int64_t> ids;
    for (const PosedPair& p : d.pairs()) {
      EXPECT_GT(p.overlap, 0.4);
      EXPECT_LE(p.overlap, 0.7);
      ids.push_back(p.view0 * 10 + p.view1);
    }
    seen.insert(ids);
  }
  EXPECT_GT(seen.size(), 1u);  // different draws
  d.begin_epoch(2);
  const auto a = d.pairs();
  d.begin_epoch(2);
  EXPECT_EQ(d.pairs().size(), a.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(d.pairs()[i].view0, a[i].view0);
}

TEST(MegaDepth, SamplesAreResizedPaddedAndGeometricallyConsistent) {
  MegaDepthConfig c = moto(0);  // every pair in (0.4, 1]
  c.num_overlap_bins = 1;
  MegaDepthDataset d(c);
  ASSERT_EQ(d.size(), 12);
  const Sample s = d.get(0, 0);
  for (const char* k : {"image0", "image1", "depth0", "depth1", "K0", "K1", "T_0to1", "image_size0",
                        "scales0", "overlap", "scene", "index0"})
    EXPECT_TRUE(s.count(k)) << k;
  EXPECT_EQ(s.at("image0").shape(), Shape({1, 192, 192}));
  EXPECT_EQ(s.at("depth0").shape(), Shape({192, 192}));
  // Depth ground truth: the keypoints of a regular grid of image 0 find positives in image
  // 1 with the sample's own K and T (the sample's geometry is consistent).
  std::vector<double> grid;
  for (int y = 10; y < 120; y += 6)
    for (int x = 10; x < 180; x += 6) grid.insert(grid.end(), {double(x), double(y)});
  const Tensor kp0 = from_vector(grid, {1, int64_t(grid.size() / 2), 2});
  geometry::PosedPairs p;
  p.depth0 = s.at("depth0").unsqueeze(0);
  p.depth1 = s.at("depth1").unsqueeze(0);
  p.K0 = s.at("K0").unsqueeze(0);
  p.K1 = s.at("K1").unsqueeze(0);
  p.T_0to1 = s.at("T_0to1").unsqueeze(0);
  p.image_size0 = s.at("image_size0").unsqueeze(0);
  p.image_size1 = s.at("image_size1").unsqueeze(0);
  // kp1: the projections of kp0 themselves, so every visible point has an exact match.
  geometry::GtMatches proj = geometry::gt_matches_from_depth(kp0, kp0, p);
  const geometry::GtMatches gt = geometry::gt_matches_from_depth(kp0, proj.proj_0to1, p);
  int64_t positives = 0;
  for (int64_t v : gt.matches0.to_vector<int64_t>()) positives += v >= 0;
  EXPECT_GT(positives, 100);
}

TEST(MegaDepth, FixedPairsSkipAndCountMissingImages) {
  MegaDepthConfig c = moto();
  c.pairs_file = scenes("megadepth/valid_pairs.txt");
  MegaDepthDataset d(c);
  EXPECT_EQ(d.size(), 2);
  EXPECT_EQ(d.skipped_pairs(), 1);
}

TEST(MegaDepth, SceneInfoWithoutPosesFailsNamingFileAndKey) {
  MegaDepthConfig c = moto();
  c.scenes = {"broken"};
  EXPECT_SP_ERROR(MegaDepthDataset d(c), "expected the array 'poses' in ");
  EXPECT_SP_ERROR(MegaDepthDataset d(c), "broken.npz");
}

TEST(MegaDepth, DepthOfTheWrongSizeFailsNamingTheFile) {
  const std::string root = test::temp_dir("megadepth_bad_depth");
  fs::copy(scenes("megadepth"), root, fs::copy_options::recursive);
  const std::string bad = root + "/depth_undistorted/moto/left.h5";
  fs::remove(bad);
  {
    io::H5File f(bad, io::H5File::Mode::Truncate);
    f.write("depth", ones({10, 12}));
  }
  MegaDepthConfig c = moto(0);
  c.root = root;
  MegaDepthDataset d(c);
  bool failed = false;
  for (int64_t i = 0; i < d.size() && !failed; ++i) {
    try {
      d.get(i, 0);
    } catch (const Error& e) {
      failed = true;
      EXPECT_NE(std::string(e.what()).find("left.h5"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("got 12 x 10"), std::string::npos) << e.what();
    }
  }
  EXPECT_TRUE(failed);
}

TEST(Colmap, BinaryAndTextModelsAgree) {
  const Reconstruction b = Reconstruction::read(scenes("colmap/sparse"));
  const Reconstruction t = Reconstruction::read(scenes("colmap/sparse_text"));
  ASSERT_EQ(b.images.size(), 4u);
  ASSERT_EQ(b.cameras.size(), t.cameras.size());
  ASSERT_EQ(b.points.size(), t.points.size());
  for (const auto& [id, im] : b.images) {
    const ColmapImage& o = t.images.at(id);
    EXPECT_EQ(im.name, o.name);
    EXPECT_LT((im.R() - o.R()).norm(), 1e-9);
    EXPECT_LT((im.t - o.t).norm(), 1e-9);
    ASSERT_EQ(im.points2d.size(), o.points2d.size());
    EXPECT_EQ(im.point3d_ids, o.point3d_ids);
  }
  EXPECT_EQ(b.cameras.at(1).model, "PINHOLE");
  EXPECT_EQ(b.points.begin()->second.track, t.points.begin()->second.track);
}

TEST(Colmap, TruncatedModelFailsNamingTheFile) {
  const std::string dir = test::temp_dir("colmap_cut");
  fs::copy(scenes("colmap/sparse"), dir, fs::copy_options::recursive);
  fs::resize_file(dir + "/images.bin", fs::file_size(dir + "/images.bin") / 2);
  EXPECT_SP_ERROR(Reconstruction::read(dir), "images.bin");
}

// pycolmap's reconstruction of the four views, read back as posed pairs: the
// ground-truth matches of the reconstruction's own observations (sparse depth) fit the
// pairs' poses.
TEST(Colmap, RoundTripGroundTruthMatchesFitTheirPoses) {
  for (const char* model : {"colmap/sparse", "colmap/sparse_text"}) {
    ColmapDatasetConfig c;
    c.model_dir = scenes(model);
    c.image_dir = scenes("megadepth/Undistorted_SfM/moto/images");
    ColmapPairDataset d(c);
    ASSERT_EQ(d.views().size(), 4u);
    ASSERT_GE(d.size(), 5);
    int64_t checked = 0;
    for (int64_t i = 0; i < d.size(); ++i) {
      const Sample s = d.get(i, 0);
      const PosedPair pair = d.pairs()[size_t(i)];
      auto points = [&](int64_t view) {
        std::vector<double> v;
        for (const Eigen::Vector3d& q : d.views()[size_t(view)].sparse)
          v.insert(v.end(), {q.x(), q.y()});
        return from_vector(v, {1, int64_t(v.size() / 2), 2});
      };
      const Tensor kp0 = points(pair.view0), kp1 = points(pair.view1);
      geometry::PosedPairs p;
      for (auto [key, t] : {std::pair{"depth0", &p.depth0},
                            {"depth1", &p.depth1},
                            {"K0", &p.K0},
                            {"K1", &p.K1},
                            {"T_0to1", &p.T_0to1},
                            {"image_size0", &p.image_size0},
                            {"image_size1", &p.image_size1}})
        *t = s.at(key).unsqueeze(0);
      const geometry::GtMatches gt = geometry::gt_matches_from_depth(kp0, kp1, p);
      const Eigen::MatrixXd K0 = tensor_matrix(s.at("K0")), K1 = tensor_matrix(s.at("K1"));
      const Eigen::MatrixXd T = tensor_matrix(s.at("T_0to1"));
      const std::vector<int64_t> m0 = gt.matches0.to_vector<int64_t>();
      const std::vector<double> a = kp0.to_vector<double>(), b = kp1.to_vector<double>();
      int64_t positives = 0;
      for (size_t k = 0; k < m0.size(); ++k) {
        if (m0[k] < 0) continue;
        ++positives;
        geometry::Points2 x0(1, 2), x1(1, 2);
        x0 << a[2 * k], a[2 * k + 1];
        x1 << b[2 * m0[k]], b[2 * m0[k] + 1];
        Eigen::Matrix3d tx;
        const Eigen::Vector3d t = T.topRightCorner(3, 1);
        tx << 0, -t(2), t(1), t(2), 0, -t(0), -t(1), t(0), 0;
        const Eigen::Matrix3d F = Eigen::Matrix3d(K1).inverse().transpose() * tx *
                                  Eigen::Matrix3d(T.topLeftCorner(3, 3)) *
                                  Eigen::Matrix3d(K0).inverse();
        // Sampson distance in pixels: below the positive threshold (3 px).
        EXPECT_LT(std::sqrt(geometry::sampson_errors2(F, x0, x1)(0)), 3.0)
            << model << " pair " << i;
      }
      EXPECT_GT(positives, 30) << model << " pair " << i;
      ++checked;
    }
    EXPECT_EQ(checked, d.size());
  }
}

TEST(HomographyPairs, ViewsAreRelatedByTheirHomography) {
  HomographyPairsConfig c;
  c.root = scenes("megadepth/Undistorted_SfM/moto/images");
  c.size = {120, 160};
  HomographyPairDataset d(c);
  ASSERT_EQ(d.size(), 4);
  const Sample s = d.get(1, 7);
  EXPECT_EQ(s.at("image0").shape(), Shape({1, 120, 160}));
  const Eigen::MatrixXd H = tensor_matrix(s.at("H_0to1"));
  const std::vector<float> v0 = s.at("image0").to_vector<float>(),
                           v1 = s.at("image1").to_vector<float>();
  double same = 0, shuffled = 0;
  int n = 0;
  for (int y = 5; y < 115; y += 3)
    for (int x = 5; x < 155; x += 3) {
      const Eigen::Vector3d q = H * Eigen::Vector3d(x, y, 1);
      const int u = int(std::lround(q.x() / q.z())), w = int(std::lround(q.y() / q.z()));
      if (u < 0 || w < 0 || u >= 160 || w >= 120) continue;
      const float a = v0[size_t(y * 160 + x)];
      if (a == 0) continue;  // outside the warped image
      same += std::abs(a - v1[size_t(w * 160 + u)]);
      shuffled += std::abs(a - v1[size_t(((w + 37) % 120) * 160 + (u + 53) % 160)]);
      ++n;
    }
  ASSERT_GT(n, 200);
  EXPECT_LT(same / n, 0.5 * shuffled / n);
  // Pure function of (index, seed).
  EXPECT_TRUE(test::equal(d.get(1, 7).at("H_0to1"), s.at("H_0to1")));
  EXPECT_FALSE(test::equal(d.get(1, 8).at("H_0to1"), s.at("H_0to1")));
}

TEST(HomographyPairs, CollatesIntoBatches) {
  HomographyPairsConfig c;
  c.root = scenes("megadepth/Undistorted_SfM/moto/images");
  c.size = {64, 80};
  auto d = std::make_shared<HomographyPairDataset>(c);
  LoaderOptions o;
  o.batch_size = 2;
  Loader loader(d, o);
  const auto batch = loader.next();
  ASSERT_TRUE(batch.has_value());
  EXPECT_EQ(batch->at("H_0to1").shape(), Shape({2, 3, 3}));
  EXPECT_EQ(batch->at("image1").shape(), Shape({2, 1, 64, 80}));
}

}  // namespace
}  // namespace sp::data

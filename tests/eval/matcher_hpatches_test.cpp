// Glue Factory's HPatches protocol for matchers (eval/matcher_hpatches.h): the DLT, the
// RANSAC and sweep choices, hand-computed AUCs, and end to end on a tiny HPatches-layout
// folder written here (run_matcher_hpatches and the speval executable).
#include "eval/matcher_hpatches.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include "data/image_io.h"
#include "eval/pose_benchmark.h"
#include "features/feature_files.h"
#include "features/nearest_neighbor.h"
#include "helpers/test_helpers.h"
#include "tensor/ops/creation.h"

namespace sp::eval {
namespace {

namespace fs = std::filesystem;

Eigen::Matrix3d test_homography() {
  Eigen::Matrix3d H;
  H << 1.1, 0.05, 3, -0.02, 0.9, 2, 1e-4, -2e-4, 1;
  return H;
}

Points2 grid_points(int n, double w, double h) {
  Points2 p(n, 2);
  for (int i = 0; i < n; ++i) p.row(i) << 5 + (w - 10) * ((i * 7) % n) / n, 5 + (h - 10) * i / n;
  return p;
}

// Corner error of a against b on a 640 x 480 image (GF's corners).
double corner_error(const Eigen::Matrix3d& a, const Eigen::Matrix3d& b) {
  return geometry::mean_corner_error(a, b, 640, 480, geometry::Corners::ImageBorder);
}

TEST(MatcherHPatches, KorniaDltRecoversExactHomography) {
  const Eigen::Matrix3d H = test_homography();
  for (int n : {4, 5, 30}) {
    Points2 src = grid_points(n, 640, 480);
    if (n == 4) src << 10, 20, 600, 40, 580, 450, 30, 400;  // no three collinear
    const Points2 dst = geometry::transform_points(H, src);
    Eigen::VectorXd w = Eigen::VectorXd::LinSpaced(n, 0.2, 1.0);
    for (DltSolver solver : {DltSolver::Lu, DltSolver::Svd}) {
      for (const Eigen::VectorXd& weights : {Eigen::VectorXd(), w}) {
        const auto est = kornia_homography_dlt(src, dst, weights, solver);
        ASSERT_TRUE(est.has_value()) << n;
        EXPECT_NEAR((*est - H / H(2, 2)).cwiseAbs().maxCoeff(), 0, 1e-7) << n;
        EXPECT_LT(corner_error(*est, H), 1e-6);
      }
    }
  }
  // Fewer than 4 points: no homography (GF's H_error_dlt is then +inf).
  const Points2 three = grid_points(3, 640, 480);
  EXPECT_FALSE(kornia_homography_dlt(three, three, Eigen::VectorXd()).has_value());
  EXPECT_SP_ERROR(kornia_homography_dlt(three, grid_points(4, 640, 480), Eigen::VectorXd()),
                  "as many source as target points");
}

Points2 points_of(const Tensor& t) {
  const std::vector<double> v = t.to(DType::F64).contiguous().to_vector<double>();
  return Eigen::Map<const Points2>(v.data(), t.size(0), 2);
}

// kornia's find_homography_dlt on noisy, weighted correspondences with outliers
// (tests/reference/eval_kornia_dlt.py): both solvers, to 1e-6 of the corner positions.
TEST(MatcherHPatches, KorniaDltMatchesKornia) {
  const auto fx = test::load_fixture("eval_kornia_dlt.h5");
  for (int i = 0; i < 4; ++i) {
    const std::string c = "case" + std::to_string(i) + "/";
    const Points2 src = points_of(fx.at(c + "src")), dst = points_of(fx.at(c + "dst"));
    const std::vector<double> wv = fx.at(c + "weights").to(DType::F64).to_vector<double>();
    const Eigen::VectorXd w = Eigen::Map<const Eigen::VectorXd>(wv.data(), Eigen::Index(wv.size()));
    for (auto [solver, key] : {std::pair{DltSolver::Lu, "H_lu"}, {DltSolver::Svd, "H_svd"}}) {
      const std::vector<double> hv = fx.at(c + key).to(DType::F64).contiguous().to_vector<double>();
      const Eigen::Matrix3d expected =
          Eigen::Map<const Eigen::Matrix<double, 3, 3, Eigen::RowMajor>>(hv.data());
      const auto est = kornia_homography_dlt(src, dst, w, solver);
      ASSERT_TRUE(est.has_value()) << c << key;
      EXPECT_LT(corner_error(*est, expected), 1e-6) << c << key << "\n" << *est << "\n" << expected;
    }
  }
}

TEST(MatcherHPatches, WeightsSilenceAnOutlierInTheDlt) {
  const Eigen::Matrix3d H = test_homography();
  const Points2 src = grid_points(20, 640, 480);
  Points2 dst = geometry::transform_points(H, src);
  dst.row(3) << 600, 20;  // one gross outlier
  Eigen::VectorXd w = Eigen::VectorXd::Ones(20);
  const double with_outlier = corner_error(*kornia_homography_dlt(src, dst, w), H);
  w[3] = 0;  // GF weights the DLT by the matching scores: a zero score drops the match
  const double weighted = corner_error(*kornia_homography_dlt(src, dst, w), H);
  EXPECT_GT(with_outlier, 5);
  EXPECT_LT(weighted, 1e-6);
}

TEST(MatcherHPatches, RansacSurvivesOutliersWhereTheDltDoesNot) {
  const Eigen::Matrix3d H = test_homography();
  std::mt19937 rng(3);
  std::normal_distribution<double> noise(0, 0.2);
  std::uniform_real_distribution<double> anywhere(0, 480);
  MatchedPoints m;
  m.pts0 = grid_points(100, 640, 480);
  m.pts1 = geometry::transform_points(H, m.pts0);
  for (int i = 0; i < 100; ++i) {
    if (i % 10 < 3) {  // 30 % outliers, far from their true position
      m.pts1.row(i) << anywhere(rng), anywhere(rng);
      if ((m.pts1.row(i) - geometry::transform_points(H, m.pts0.row(i))).norm() < 20)
        m.pts1(i, 0) += 100;
    } else {
      m.pts1.row(i) += Eigen::RowVector2d(noise(rng), noise(rng));
    }
  }
  m.scores = Eigen::VectorXd::Ones(100);
  m.num_keypoints = 120;
  MatcherEvalOptions o;
  o.ransac_thresholds = {1.0, 3.0};
  const PairEvaluation e = evaluate_matched_pair(m, H, {640, 480}, o);
  EXPECT_EQ(e.values.at("num_matches"), 100);
  EXPECT_EQ(e.values.at("num_keypoints"), 120);
  EXPECT_NEAR(e.values.at("prec@3px"), 0.7, 1e-12);  // noise 0.2 px: every inlier < 3 px
  EXPECT_GT(e.values.at("H_error_dlt"), 10);
  ASSERT_EQ(e.per_threshold.size(), 2u);
  for (const auto& r : e.per_threshold) {
    EXPECT_LT(r.at("H_error_ransac"), 1.0);
    EXPECT_GE(r.at("ransac_inl"), 60);
    EXPECT_LE(r.at("ransac_inl"), 72);
    EXPECT_NEAR(r.at("ransac_inl%"), r.at("ransac_inl") / 100, 1e-12);
  }
  // Three matches: DLT and RANSAC both fail (+inf), precision still counts.
  MatchedPoints few;
  few.pts0 = m.pts0.topRows(3);
  few.pts1 = geometry::transform_points(H, few.pts0);
  const PairEvaluation f = evaluate_matched_pair(few, H, {640, 480}, o);
  EXPECT_TRUE(std::isinf(f.values.at("H_error_dlt")));
  EXPECT_TRUE(std::isinf(f.per_threshold[0].at("H_error_ransac")));
  EXPECT_EQ(f.per_threshold[0].at("ransac_inl"), 0);
  EXPECT_EQ(f.values.at("prec@1px"), 1);
  // No matches: precision 0, not NaN.
  const PairEvaluation none = evaluate_matched_pair(MatchedPoints{}, H, {640, 480}, o);
  EXPECT_EQ(none.values.at("prec@3px"), 0);
  EXPECT_EQ(none.values.at("num_matches"), 0);
}

// Pairs with hand-set errors per threshold (index t), DLT error `dlt`.
PairEvaluation pair_with(std::vector<double> ransac_errors, double dlt) {
  PairEvaluation e;
  e.values = {{"prec@1px", 0.5},
              {"prec@3px", 1},
              {"num_matches", 10},
              {"num_keypoints", 20},
              {"H_error_dlt", dlt}};
  for (double r : ransac_errors)
    e.per_threshold.push_back({{"H_error_ransac", r}, {"ransac_inl", 5}, {"ransac_inl%", 0.5}});
  return e;
}

TEST(MatcherHPatches, AucAndMaaOnAHandComputedCase) {
  // Errors {0.5, 2, 4, inf}, recall steps of 1/4. Trapezoids from (0, 0):
  // AUC@1 = (0.5 * 0.25 / 2 + 0.5 * 0.25) / 1 = 0.1875
  // AUC@3 = (0.0625 + 1.5 * (0.25 + 0.5) / 2 + 1 * 0.5) / 3 = 1.125 / 3 = 0.375
  // AUC@5 = (0.0625 + 0.5625 + 2 * (0.5 + 0.75) / 2 + 1 * 0.75) / 5 = 2.625 / 5 = 0.525
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<PairEvaluation> ev = {pair_with({0.5}, 0.5), pair_with({2}, 2), pair_with({inf}, inf),
                                    pair_with({4}, 4)};
  const HPatchesReport r = summarize_matcher_pairs(std::vector<PairRecord>(4), ev, {1.0});
  const auto& s = r.summary;
  EXPECT_NEAR(s.at("H_error_ransac@1px"), 0.1875, 1e-12);
  EXPECT_NEAR(s.at("H_error_ransac@3px"), 0.375, 1e-12);
  EXPECT_NEAR(s.at("H_error_ransac@5px"), 0.525, 1e-12);
  EXPECT_NEAR(s.at("H_error_ransac_mAA"), (0.1875 + 0.375 + 0.525) / 3, 1e-12);
  EXPECT_NEAR(s.at("H_error_dlt_mAA"), (0.1875 + 0.375 + 0.525) / 3, 1e-12);
  EXPECT_EQ(s.at("ransac_th"), 1.0);
  EXPECT_EQ(s.at("num_pairs"), 4);
  EXPECT_EQ(s.at("mH_error_ransac"), 3);  // median of {0.5, 2, 4, inf}
  EXPECT_EQ(s.at("mprec@1px"), 0.5);
  EXPECT_EQ(s.at("avg_num_matches"), 10);
  EXPECT_EQ(r.pairs[3].values.at("H_error_ransac"), 4);
  EXPECT_EQ(r.pairs[3].values.at("num_keypoints"), 20);
}

TEST(MatcherHPatches, SweepReportsTheBestThreshold) {
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<double> ths = {0.5, 1.0, 1.5};
  // Threshold 1.0 is best on mAA (all errors small); 0.5 fails one pair; 1.5 is worse.
  std::vector<PairEvaluation> ev = {pair_with({0.2, 0.3, 2.0}, 9), pair_with({inf, 0.4, 0.6}, 9),
                                    pair_with({0.3, 0.5, 4.0}, 9)};
  HPatchesReport r = summarize_matcher_pairs(std::vector<PairRecord>(3), ev, ths);
  EXPECT_EQ(r.summary.at("ransac_th"), 1.0);
  EXPECT_EQ(r.summary.at("H_error_ransac_mAA"), r.summary.at("th1/H_error_ransac_mAA"));
  EXPECT_GT(r.summary.at("th1/H_error_ransac_mAA"), r.summary.at("th0.5/H_error_ransac_mAA"));
  EXPECT_GT(r.summary.at("th1/H_error_ransac_mAA"), r.summary.at("th1.5/H_error_ransac_mAA"));
  EXPECT_EQ(r.pairs[1].values.at("H_error_ransac"), 0.4);  // the best threshold's
  EXPECT_EQ(r.pairs[1].values.at("H_error_ransac_th0.5"), inf);
  // Ties: the first threshold in list order (GF's max over an insertion-ordered dict).
  std::vector<PairEvaluation> tie = {pair_with({0.2, 0.2, 0.2}, 1)};
  EXPECT_EQ(summarize_matcher_pairs(std::vector<PairRecord>(1), tie, ths).summary.at("ransac_th"),
            0.5);
}

TEST(MatcherHPatches, GlueFactoryFrameAndSymmetricError) {
  EXPECT_EQ(glue_factory_resized({900, 600}, 480).width, 720);
  EXPECT_EQ(glue_factory_resized({1000, 700}, 480).width, 685);  // int(480 * 1000 / 700)
  EXPECT_EQ(glue_factory_resized({600, 900}, 480).height, 720);
  EXPECT_EQ(glue_factory_resized({600, 900}, 0).height, 900);
  Eigen::Matrix3d H = Eigen::Matrix3d::Identity();
  H(0, 0) = 2;  // x doubles
  Points2 p0(1, 2), p1(1, 2);
  p0 << 1, 1;
  p1 << 3, 1;  // forward error |2 - 3| = 1, backward |1.5 - 1| = 0.5
  EXPECT_NEAR(symmetric_homography_error(H, p0, p1)[0], 0.75, 1e-12);
}

// A tiny HPatches folder: sequences i_one and v_two, 64 x 48 images, H_1_k; features of
// 20 grid points with one-hot descriptors (match i <-> i) plus 5 distractors in image k.
// `layout`: sp (names <seq>/<k>) or disk (a folder, names <seq>-<k>); `bad_dim`: image
// v_two/4 gets 16-dimensional descriptors; `drop`: leave v_two/6 out.
void write_dataset(const std::string& root, const std::string& feats,
                   features::FeatureLayout layout, bool bad_dim = false, bool drop = false) {
  features::FeatureWriter writer(feats, layout);
  for (std::string seq : {"i_one", "v_two"}) {
    fs::create_directories(fs::path(root) / seq);
    for (int k = 1; k <= 6; ++k) {
      data::write_ppm((fs::path(root) / seq / (std::to_string(k) + ".ppm")).string(),
                      zeros({3, 48, 64}).fill_(0.5));
      Eigen::Matrix3d H = Eigen::Matrix3d::Identity();
      if (seq[0] == 'v') H << 1 + 0.02 * k, 0, k, 0, 1 - 0.01 * k, 0.5 * k, 0, 0, 1;
      if (k > 1) {
        std::ofstream f(fs::path(root) / seq / ("H_1_" + std::to_string(k)));
        f.precision(17);
        f << H << "\n";
      }
      if (drop && seq[0] == 'v' && k == 6) continue;
      const int n = k == 1 ? 20 : 25, d = bad_dim && seq[0] == 'v' && k == 4 ? 16 : 32;
      std::vector<float> kp, scores, desc(size_t(n) * d, 0.f);
      const Points2 base = grid_points(20, 64, 48);
      for (int i = 0; i < n; ++i) {
        Eigen::Vector2d p =
            i < 20 ? Eigen::Vector2d(base.row(i).transpose()) : Eigen::Vector2d(3.0 + 2 * i, 40.0);
        if (k > 1 && i < 20) {  // GF's corner convention: H maps (p + 0.5)
          Eigen::Vector3d q = H * Eigen::Vector3d(p.x() + 0.5, p.y() + 0.5, 1);
          p = q.head<2>() / q.z() - Eigen::Vector2d(0.5, 0.5);
        }
        kp.insert(kp.end(), {float(p.x()), float(p.y())});
        scores.push_back(1.0f - 0.01f * i);
        desc[size_t(i) * d + size_t(i % d)] = 1.f;
      }
      features::ImageFeatures f;
      f.keypoints = from_vector(kp, {n, 2});
      f.scores = from_vector(scores, {n});
      f.descriptors = from_vector(desc, {n, d});
      writer.write(layout == features::FeatureLayout::Disk ? seq + "-" + std::to_string(k)
                                                           : seq + "/" + std::to_string(k),
                   f);
    }
  }
  writer.close();
}

PairMatchIndices mutual_nn(const features::ImageFeatures& a, const features::ImageFeatures& b) {
  const features::Matches m =
      features::match_nearest_neighbors(features::pad({a}), features::pad({b}));
  return {m.pairs(0), m.pair_scores(0)};
}

TEST(MatcherHPatches, EndToEndOnATinyFolder) {
  const std::string dir = test::temp_dir("matcher_hpatches");
  for (auto layout : {features::FeatureLayout::Sp, features::FeatureLayout::Disk}) {
    const std::string feats =
        dir + (layout == features::FeatureLayout::Sp ? "/feats.h5" : "/disk_feats");
    write_dataset(dir + "/hpatches", feats, layout);
    MatcherHPatchesOptions o;
    o.data_dir = dir + "/hpatches";
    o.features = feats;
    o.resize = 24;  // a 32 x 24 frame: s = 0.5, the same exact matches
    o.eval.ransac_thresholds = threshold_sweep();
    const HPatchesReport r = run_matcher_hpatches(o, mutual_nn);
    ASSERT_EQ(r.pairs.size(), 10u);
    for (const PairRecord& p : r.pairs) {
      EXPECT_EQ(p.values.at("num_matches"), 20) << p.sequence << " " << p.index;
      EXPECT_EQ(p.values.at("prec@1px"), 1) << p.sequence << " " << p.index;
      EXPECT_EQ(p.values.at("num_keypoints"), 22.5);
      EXPECT_LT(p.values.at("H_error_dlt"), 1e-3) << p.sequence << " " << p.index;
      EXPECT_LT(p.values.at("H_error_ransac"), 1e-3) << p.sequence << " " << p.index;
    }
    EXPECT_GT(r.summary.at("H_error_dlt@1px"), 0.999);
    EXPECT_GT(r.summary.at("H_error_ransac_mAA"), 0.999);
    EXPECT_EQ(r.summary.at("ransac_th"), 0.5);
  }
  // A matcher that swaps two matches: precision 18/20.
  MatcherHPatchesOptions o;
  o.data_dir = dir + "/hpatches";
  o.features = dir + "/feats.h5";
  o.resize = 0;
  auto swapping = [](const features::ImageFeatures& a, const features::ImageFeatures& b) {
    PairMatchIndices m = mutual_nn(a, b);
    std::vector<int64_t> p = m.pairs.contiguous().to_vector<int64_t>();
    std::swap(p[1], p[3]);  // rows (i0, j0), (i1, j1) -> (i0, j1), (i1, j0)
    return PairMatchIndices{from_vector(p, {m.pairs.size(0), 2}), m.scores};
  };
  EXPECT_NEAR(run_matcher_hpatches(o, swapping).summary.at("avg_prec@3px"), 0.9, 1e-12);
  // Precomputed matches (hloc layout) give the same as the matcher.
  {
    features::MatchWriter mw(dir + "/matches.h5", features::MatchLayout::Hloc);
    features::FeatureReader fr(dir + "/feats.h5");
    for (std::string seq : {"i_one", "v_two"})
      for (int k = 2; k <= 6; ++k) {
        features::ImageFeatures a = fr.read(seq + "/1"), b = fr.read(seq + "/" + std::to_string(k));
        const features::Matches m =
            features::match_nearest_neighbors(features::pad({a}), features::pad({b}));
        mw.write(seq + "/1", seq + "/" + std::to_string(k), m.matches0.select(0, 0),
                 m.matching_scores0.select(0, 0));
      }
    mw.close();
  }
  // An image without keypoints: its pair is graded (no matches, +inf errors), not refused.
  {
    features::FeatureReader fr(dir + "/feats.h5");
    features::FeatureWriter fw(dir + "/empty.h5", features::FeatureLayout::Sp);
    for (const std::string& name : fr.names()) {
      features::ImageFeatures f = fr.read(name);
      if (name == "i_one/3") {
        f.keypoints = zeros({0, 2});
        f.scores = zeros({0});
        f.descriptors = zeros({0, 32});
      }
      fw.write(name, f);
    }
    fw.close();
  }
  o.features = dir + "/empty.h5";
  const HPatchesReport empty = run_matcher_hpatches(o, mutual_nn);
  EXPECT_EQ(empty.pairs[1].values.at("num_matches"), 0);
  EXPECT_EQ(empty.pairs[1].values.at("num_keypoints"), 10);
  EXPECT_TRUE(std::isinf(empty.pairs[1].values.at("H_error_dlt")));
  EXPECT_TRUE(std::isinf(empty.pairs[1].values.at("H_error_ransac")));
  EXPECT_EQ(empty.pairs[2].values.at("num_matches"), 20);
  o.features = dir + "/feats.h5";
  o.matches = dir + "/matches.h5";
  const HPatchesReport pre = run_matcher_hpatches(o, nullptr);
  EXPECT_EQ(pre.summary.at("avg_num_matches"), 20);
  EXPECT_GT(pre.summary.at("H_error_dlt@1px"), 0.999);
  EXPECT_SP_ERROR(run_matcher_hpatches(o, mutual_nn), "exactly one of a matcher");
}

TEST(MatcherHPatches, BadInputIsNamed) {
  const std::string dir = test::temp_dir("matcher_hpatches_bad");
  write_dataset(dir + "/hpatches", dir + "/dropped.h5", features::FeatureLayout::Sp, false, true);
  write_dataset(dir + "/hpatches", dir + "/bad_dim.h5", features::FeatureLayout::Sp, true);
  MatcherHPatchesOptions o;
  o.data_dir = dir + "/hpatches";
  o.features = dir + "/dropped.h5";
  EXPECT_SP_ERROR(run_matcher_hpatches(o, mutual_nn), "'v_two/6'");
  EXPECT_SP_ERROR(run_matcher_hpatches(o, mutual_nn), "v_two/6.ppm");
  o.features = dir + "/bad_dim.h5";
  EXPECT_SP_ERROR(run_matcher_hpatches(o, mutual_nn), "got 32 for 'v_two/1' and 16 for 'v_two/4'");
  // A matcher that throws: the pair and the features are named around its message.
  auto failing = [](const features::ImageFeatures&,
                    const features::ImageFeatures&) -> PairMatchIndices {
    SP_FAIL("expected descriptors of size 256");
  };
  o.features = dir + "/dropped.h5";
  EXPECT_SP_ERROR(run_matcher_hpatches(o, failing), "pair i_one 1-2");
  EXPECT_SP_ERROR(run_matcher_hpatches(o, failing), "expected descriptors of size 256");
  // Match indices beyond the keypoints.
  auto wild = [](const features::ImageFeatures&, const features::ImageFeatures&) {
    return PairMatchIndices{from_vector<int64_t>({0, 99}, {1, 2}), ones({1})};
  };
  EXPECT_SP_ERROR(run_matcher_hpatches(o, wild), "expected match indices below 25");
}

std::string read_text(const std::string& path) {
  std::ifstream f(path);
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

// The number after "key": in a JSON text (NaN when absent).
double json_value(const std::string& json, const std::string& key) {
  const size_t at = json.find("\"" + key + "\": ");
  return at == std::string::npos ? std::nan("") : std::atof(json.c_str() + at + key.size() + 4);
}

TEST(MatcherHPatches, SpevalMatcherMode) {
  const std::string exe = std::string(SP_BINARY_DIR) + "/apps/speval";
  if (!fs::exists(exe)) GTEST_SKIP() << "speval not built";
  const std::string dir = test::temp_dir("speval_matcher");
  write_dataset(dir + "/hpatches", dir + "/feats", features::FeatureLayout::Disk);
  write_dataset(dir + "/hpatches", dir + "/bad_dim.h5", features::FeatureLayout::Sp, true);
  const std::string base = exe + " --quiet --data-dir " + dir + "/hpatches ";
  auto run = [&](const std::string& args) {
    const std::string cmd = base + args + " > " + dir + "/out.txt 2> " + dir + "/err.txt";
    return std::system(cmd.c_str());
  };
  ASSERT_EQ(run("--features " + dir +
                "/feats --matcher nearest_neighbor --matcher-conf "
                "mutual=true --ransac-th -1 --out " +
                dir + "/r.json"),
            0)
      << read_text(dir + "/err.txt");
  const std::string json = read_text(dir + "/r.json");
  EXPECT_GT(json_value(json, "H_error_dlt@1px"), 0.999) << json;
  EXPECT_GT(json_value(json, "th3/H_error_ransac_mAA"), 0.999) << json;
  EXPECT_EQ(json_value(json, "avg_prec@3px"), 1) << json;
  EXPECT_EQ(json_value(json, "num_pairs"), 10) << json;
  EXPECT_NE(run("--features " + dir + "/feats --matcher no_such_matcher"), 0);
  EXPECT_NE(read_text(dir + "/err.txt").find("no_such_matcher"), std::string::npos);
  EXPECT_NE(read_text(dir + "/err.txt").find("nearest_neighbor"), std::string::npos);
  EXPECT_NE(run("--features " + dir + "/feats --matcher nearest_neighbor --matcher-conf ratio=0.8"),
            0);
  EXPECT_NE(read_text(dir + "/err.txt").find("no config key 'ratio'"), std::string::npos)
      << read_text(dir + "/err.txt");
  EXPECT_NE(run("--features " + dir + "/bad_dim.h5 --matcher nearest_neighbor"), 0);
  EXPECT_NE(read_text(dir + "/err.txt").find("16 for 'v_two/4'"), std::string::npos)
      << read_text(dir + "/err.txt");
  EXPECT_NE(run("--features " + dir + "/nope.h5 --matcher nearest_neighbor"), 0);
  EXPECT_NE(read_text(dir + "/err.txt").find("nope.h5"), std::string::npos);
}

// The RANSAC column uses the MSAC LO-RANSAC of poselib's scheme (GF's default estimator).
TEST(MatcherHpatches, RansacDefaultsToMsac) {
  const MatcherEvalOptions o;
  EXPECT_TRUE(o.ransac.msac);
  EXPECT_DOUBLE_EQ(o.ransac.confidence, 0.9999);
  EXPECT_EQ(o.ransac.min_iterations, 1000);
}

}  // namespace
}  // namespace sp::eval

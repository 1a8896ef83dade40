// End-to-end: a tiny HPatches-layout folder and predictions file written into the
// build tree, graded by run_hpatches and by the speval executable.
#include "eval/hpatches_benchmark.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "data/image_io.h"
#include "eval/match_pictures.h"
#include "helpers/test_helpers.h"
#include "tensor/io/hdf5.h"
#include "tensor/ops/creation.h"

namespace sp::eval {
namespace {

namespace fs = std::filesystem;

// 20 grid points seen in all images, plus 10 unrepeated points in every image k > 1.
void write_dataset(const std::string& root, const std::string& preds, bool drop_last = false) {
  io::H5File h5(preds, io::H5File::Mode::Truncate);
  for (std::string seq : {"i_one", "v_two"}) {
    fs::create_directories(fs::path(root) / seq);
    Eigen::Matrix3d H = Eigen::Matrix3d::Identity();
    if (seq[0] == 'v') H.topRightCorner<2, 1>() << 3, 2;
    for (int k = 1; k <= 6; ++k) {
      data::write_ppm((fs::path(root) / seq / (std::to_string(k) + ".ppm")).string(),
                      zeros({3, 48, 64}).fill_(0.5));
      if (k > 1) {
        std::ofstream f(fs::path(root) / seq / ("H_1_" + std::to_string(k)));
        f << H(0, 0) << " " << H(0, 1) << " " << H(0, 2) << "\n"
          << H(1, 0) << " " << H(1, 1) << " " << H(1, 2) << "\n0 0 1\n";
      }
      if (drop_last && seq[0] == 'v' && k == 6) continue;
      const int n = k == 1 ? 20 : 30;
      std::vector<float> kp, scores, desc(size_t(n) * 32, 0.f);
      for (int i = 0; i < n; ++i) {
        double x = i < 20 ? 10 + 8 * (i % 5) : 4 + 5 * (i - 20), y = i < 20 ? 10 + 7 * (i / 5) : 44;
        if (k > 1 && i < 20) {
          x += H(0, 2);
          y += H(1, 2);
        }
        kp.insert(kp.end(), {float(x), float(y)});
        scores.push_back(1.0f - 0.01f * i);
        desc[size_t(i) * 32 + i] = 1.f;
      }
      std::string g = seq + "/" + std::to_string(k);
      h5.write(g + "/keypoints", from_vector(kp, {n, 2}));
      h5.write(g + "/scores", from_vector(scores, {n}));
      // [D, N] in one sequence (hloc layout), [N, D] in the other.
      Tensor d = from_vector(desc, {n, 32});
      h5.write(g + "/descriptors", seq[0] == 'i' ? d.t().contiguous() : d);
      if (seq[0] == 'i') {
        h5.set_attr(g, "processing_width", int64_t(32));
        h5.set_attr(g, "processing_height", int64_t(24));
      }
    }
  }
}

HPatchesOptions options(const std::string& root, const std::string& preds) {
  HPatchesOptions opt;
  opt.data_dir = root;
  opt.predictions = preds;
  opt.matching_score = opt.nn_map = true;
  return opt;
}

TEST(HPatchesBenchmark, KnownNumbersOnGeneratedSequences) {
  std::string dir = test::temp_dir("hpatches_e2e");
  std::string root = dir + "/hpatches", preds = dir + "/preds.h5";
  write_dataset(root, preds);
  HPatchesReport r = run_hpatches(options(root, preds));
  EXPECT_EQ(r.summary.at("num_pairs"), 10);
  EXPECT_NEAR(r.summary.at("repeatability"), 40.0 / 50.0, 1e-12);
  EXPECT_NEAR(r.summary.at("mle"), 0.0, 1e-9);
  EXPECT_NEAR(r.summary.at("matching_score"), 40.0 / 50.0, 1e-12);
  EXPECT_NEAR(r.summary.at("nn_map"), 1.0, 1e-12);
  EXPECT_EQ(r.summary.at("homography_correct_1"), 1.0);
  EXPECT_GT(r.summary.at("homography_auc_1"), 0.999);
  std::string json = report_json(r, options(root, preds));
  EXPECT_NE(json.find("\"repeatability\": 0.8"), std::string::npos) << json;

  HPatchesOptions only_v = options(root, preds);
  only_v.subset = "v";
  EXPECT_EQ(run_hpatches(only_v).summary.at("num_pairs"), 5);
}

TEST(HPatchesBenchmark, WritesOneMatchPicturePerPair) {
  std::string dir = test::temp_dir("hpatches_pictures");
  std::string root = dir + "/hpatches", preds = dir + "/preds.h5";
  write_dataset(root, preds);
  HPatchesOptions opt = options(root, preds);
  opt.pictures_dir = dir + "/pictures";
  run_hpatches(opt);
  // i_one is graded at 32x24 (its processing size), v_two at the original 64x48.
  Tensor small = data::read_image(opt.pictures_dir + "/i_one_1_2.png");
  EXPECT_EQ(small.shape(), (Shape{3, 24, 32 + kMatchPictureGap + 32}));
  Tensor full = data::read_image(opt.pictures_dir + "/v_two_1_6.png");
  EXPECT_EQ(full.shape(), (Shape{3, 48, 64 + kMatchPictureGap + 64}));
  // Every match of v_two is correct: green lines, no red anywhere.
  auto px = [&](int64_t c, int64_t y, int64_t x) {
    return full.data<float>()[(c * 48 + y) * full.size(2) + x];
  };
  int green = 0, red = 0;
  for (int64_t y = 0; y < 48; ++y)
    for (int64_t x = 0; x < full.size(2); ++x) {
      green += px(1, y, x) > 0.8f && px(0, y, x) < 0.3f;
      red += px(0, y, x) > 0.8f && px(1, y, x) < 0.3f;
    }
  EXPECT_GT(green, 100);
  EXPECT_EQ(red, 0);
}

TEST(HPatchesBenchmark, ErrorsNameFileAndKey) {
  std::string dir = test::temp_dir("hpatches_err");
  std::string root = dir + "/hpatches", preds = dir + "/preds.h5";
  write_dataset(root, preds, true);
  EXPECT_SP_ERROR(run_hpatches(options(root, preds)), "'v_two/6'");
  EXPECT_SP_ERROR(run_hpatches(options(root, preds)), "preds.h5");
  HPatchesOptions bad = options(dir + "/missing", preds);
  EXPECT_SP_ERROR(run_hpatches(bad), "expected an HPatches folder");
}

TEST(HPatchesBenchmark, SpevalWritesJson) {
  std::string exe = std::string(SP_BINARY_DIR) + "/apps/speval";
  if (!fs::exists(exe)) GTEST_SKIP() << "speval not built";
  std::string dir = test::temp_dir("speval_e2e");
  write_dataset(dir + "/hpatches", dir + "/preds.h5");
  std::string cmd = exe +
                    " --repeatability --homography --matching-score --nn-map --quiet --data-dir " +
                    dir + "/hpatches --predictions " + dir + "/preds.h5 --out " + dir +
                    "/results.json > " + dir + "/log.txt";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  std::ifstream f(dir + "/results.json");
  std::string json((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  EXPECT_NE(json.find("\"matching_score\": 0.8"), std::string::npos) << json;
  EXPECT_NE(json.find("\"homography_correct_3\": 1"), std::string::npos) << json;
  std::string missing = exe + " --homography --data-dir " + dir + "/hpatches --predictions " + dir +
                        "/nope.h5 2> " + dir + "/err.txt";
  EXPECT_NE(std::system(missing.c_str()), 0);
}

}  // namespace
}  // namespace sp::eval

// HPatches export of a tiny SuperPoint on a generated mini-HPatches folder, and speval
// grading a checkpoint end to end (export to a temporary file, then the metrics).
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "data/image_io.h"
#include "helpers/test_helpers.h"
#include "models/superpoint.h"
#include "nn/checkpoint.h"
#include "procedures/hpatches_export.h"
#include "tensor/io/hdf5.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/elementwise.h"
#include "tensor/ops/reduce.h"

namespace sp::procedures {
namespace {

namespace fs = std::filesystem;

models::SuperPointConfig tiny_config() {
  models::SuperPointConfig c;
  c.width = 0.25;
  c.descriptor_dim = 16;
  c.detection_threshold = 0.0;
  c.nms = "grid";
  return c;
}

// Two sequences of 6 textured images (sizes differ per sequence) with translations.
void write_mini_hpatches(const std::string& root) {
  for (std::string seq : {"i_tiny", "v_tiny"}) {
    const int64_t h = seq[0] == 'i' ? 72 : 96, w = seq[0] == 'i' ? 96 : 80;
    fs::create_directories(fs::path(root) / seq);
    for (int k = 1; k <= 6; ++k) {
      const double tx = seq[0] == 'v' ? k - 1 : 0;
      std::vector<float> v(size_t(3 * h * w));
      for (int64_t c = 0; c < 3; ++c)
        for (int64_t y = 0; y < h; ++y)
          for (int64_t x = 0; x < w; ++x) {
            const double xs = double(x) - tx;
            v[size_t((c * h + y) * w + x)] =
                float(0.5 + 0.3 * std::sin(0.4 * xs) * std::cos(0.3 * double(y)) +
                      0.15 * ((int64_t(std::floor(xs / 12)) + y / 12) % 2 ? 1 : -1));
          }
      data::write_ppm((fs::path(root) / seq / (std::to_string(k) + ".ppm")).string(),
                      clamp(from_vector<float>(v, Shape{3, h, w}), Scalar(0.0), Scalar(1.0)));
      if (k > 1) {
        std::ofstream f(fs::path(root) / seq / ("H_1_" + std::to_string(k)));
        f << "1 0 " << tx << "\n0 1 0\n0 0 1\n";
      }
    }
  }
}

TEST(ExportDescriptor, WritesGroupsInOriginalPixels) {
  const std::string dir = test::temp_dir("export_descriptor");
  fs::remove_all(dir);
  write_mini_hpatches(dir + "/hpatches-sequences-release");
  models::SuperPoint model(tiny_config());
  model.eval();
  for (std::string policy : {"crop", "fit"}) {
    HPatchesExportOptions o;
    o.data_dir = dir;  // the parent: hpatches-sequences-release/ is found below it
    o.output = dir + "/preds_" + policy + ".h5";
    o.size = {48, 64};
    o.resize = policy;
    EXPECT_EQ(export_hpatches_predictions(model, o), 12);
    io::H5File f(o.output, io::H5File::Mode::Read);
    for (std::string seq : {"i_tiny", "v_tiny"}) {
      const double h = seq[0] == 'i' ? 72 : 96, w = seq[0] == 'i' ? 96 : 80;
      for (int k = 1; k <= 6; ++k) {
        const std::string g = seq + "/" + std::to_string(k);
        Tensor kp = f.read(g + "/keypoints"), sc = f.read(g + "/scores"),
               d = f.read(g + "/descriptors");
        ASSERT_EQ(kp.dim(), 2);
        ASSERT_GT(kp.size(0), 0);
        EXPECT_EQ(kp.size(1), 2);
        EXPECT_EQ(sc.shape(), (Shape{kp.size(0)}));
        EXPECT_EQ(d.shape(), (Shape{kp.size(0), 16}));
        EXPECT_TRUE(test::all_close(norm(d, 2.0, {1}), ones({kp.size(0)}), 1e-4, 1e-5));
        EXPECT_GE(min(kp.select(1, 0)).item<float>(), -0.5f);
        EXPECT_LE(max(kp.select(1, 0)).item<float>(), float(w) - 0.5f);
        EXPECT_LE(max(kp.select(1, 1)).item<float>(), float(h) - 0.5f);
        const int64_t pw = f.attr_int(g, "processing_width"),
                      ph = f.attr_int(g, "processing_height");
        // Both policies scale by s = max(target / shape); the processing frame keeps the aspect.
        EXPECT_NEAR(double(pw) / w, double(ph) / h, 0.1) << g;
        if (policy == "crop") {
          EXPECT_TRUE(pw == 64 || ph == 48) << pw << "x" << ph;
        } else {
          EXPECT_TRUE(pw % 8 == 0 && ph % 8 == 0) << pw << "x" << ph;
        }
      }
    }
  }
  HPatchesExportOptions bad;
  bad.data_dir = dir + "/nothing";
  bad.output = dir + "/x.h5";
  EXPECT_SP_ERROR(export_hpatches_predictions(model, bad), "expected HPatches sequences");
  bad.data_dir = dir;
  bad.size = {48, 60};
  EXPECT_SP_ERROR(export_hpatches_predictions(model, bad),
                  "multiples of 8 for SuperPoint, got [48, 60]");
}

// A detector-only model exports keypoints and scores (issue 25: MagicPoint's
// repeatability is what a user checks before homography adaptation).
TEST(ExportDescriptor, DetectorOnlyModelWritesKeypointsAndScores) {
  const std::string dir = test::temp_dir("export_magicpoint");
  fs::remove_all(dir);
  write_mini_hpatches(dir + "/hpatches-sequences-release");
  models::SuperPointConfig mp = tiny_config();
  mp.detector_only = true;
  models::SuperPoint magicpoint(mp);
  magicpoint.eval();
  HPatchesExportOptions o;
  o.data_dir = dir;
  o.output = dir + "/mp.h5";
  o.size = {48, 64};
  EXPECT_EQ(export_hpatches_predictions(magicpoint, o), 12);
  io::H5File f(o.output, io::H5File::Mode::Read);
  EXPECT_TRUE(f.has("v_tiny/3/keypoints"));
  EXPECT_TRUE(f.has("v_tiny/3/scores"));
  EXPECT_FALSE(f.has("v_tiny/3/descriptors"));
}

TEST(ExportDescriptor, SpevalGradesACheckpoint) {
  const std::string exe = std::string(SP_BINARY_DIR) + "/apps/speval";
  if (!fs::exists(exe)) GTEST_SKIP() << "speval not built";
  const std::string dir = test::temp_dir("export_speval");
  fs::remove_all(dir);
  write_mini_hpatches(dir + "/hpatches-sequences-release");
  models::SuperPoint model(tiny_config());
  nn::save_state_dict_file(dir + "/tiny.h5", model.state_dict());
  {
    std::ofstream conf(dir + "/tiny.toml");
    conf
        << "[model]\nwidth = 0.25\ndescriptor_dim = 16\ndetection_threshold = 0.0\nnms = \"grid\"\n"
        << "[data]\nsize = [48, 64]\n";
  }
  const std::string base = exe + " --repeatability --homography --quiet --device cpu --data-dir " +
                           dir + "/hpatches-sequences-release --checkpoint " + dir +
                           "/tiny.h5 --model superpoint --conf " + dir + "/tiny.toml";
  const std::string cmd = base + " --out " + dir + "/results.json --save-predictions " + dir +
                          "/kept.h5 > " + dir + "/log.txt 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::ifstream f(dir + "/results.json");
  std::string json((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  EXPECT_NE(json.find("\"repeatability\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"homography_correct_3\""), std::string::npos) << json;
  EXPECT_TRUE(fs::exists(dir + "/kept.h5"));
  // A wrong config key fails with the key named.
  {
    std::ofstream conf(dir + "/bad.toml");
    conf << "[model]\nwidht = 0.25\n";
  }
  const std::string bad = exe + " --repeatability --quiet --device cpu --data-dir " + dir +
                          "/hpatches-sequences-release --checkpoint " + dir + "/tiny.h5 --conf " +
                          dir + "/bad.toml 2> " + dir + "/err.txt";
  EXPECT_NE(std::system(bad.c_str()), 0);
  std::ifstream e(dir + "/err.txt");
  std::string err((std::istreambuf_iterator<char>(e)), std::istreambuf_iterator<char>());
  EXPECT_NE(err.find("widht"), std::string::npos) << err;
}

std::string read_file(const std::string& path) {
  std::ifstream f(path);
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

// Issue 25 end to end: `speval --model magicpoint --repeatability` grades a MagicPoint
// checkpoint; a descriptor metric on it names the flag that needs descriptors.
TEST(ExportDescriptor, SpevalGradesAMagicPointCheckpoint) {
  const std::string exe = std::string(SP_BINARY_DIR) + "/apps/speval";
  if (!fs::exists(exe)) GTEST_SKIP() << "speval not built";
  const std::string dir = test::temp_dir("export_speval_mp");
  fs::remove_all(dir);
  write_mini_hpatches(dir + "/hpatches-sequences-release");
  models::SuperPointConfig mp = tiny_config();
  mp.detector_only = true;
  models::SuperPoint magicpoint(mp);
  nn::save_state_dict_file(dir + "/mp.h5", magicpoint.state_dict());
  {
    std::ofstream conf(dir + "/mp_eval.toml");
    conf << "[model]\nwidth = 0.25\ndetection_threshold = 0.0\nnms = \"grid\"\n[data]\nsize = [48, "
            "64]\n";
  }
  const std::string base = exe + " --quiet --device cpu --data-dir " + dir +
                           "/hpatches-sequences-release" + " --checkpoint " + dir +
                           "/mp.h5 --model magicpoint --conf " + dir + "/mp_eval.toml";
  const std::string ok =
      base + " --repeatability --top-k 300 --out " + dir + "/mp.json > " + dir + "/log.txt 2>&1";
  ASSERT_EQ(std::system(ok.c_str()), 0) << read_file(dir + "/log.txt");
  const std::string json = read_file(dir + "/mp.json");
  EXPECT_NE(json.find("\"repeatability\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"mle\""), std::string::npos) << json;
  const std::string bad = base + " --repeatability --matching-score > " + dir + "/err.txt 2>&1";
  EXPECT_NE(std::system(bad.c_str()), 0);
  const std::string err = read_file(dir + "/err.txt");
  EXPECT_NE(err.find("--matching-score grade descriptors"), std::string::npos) << err;
  EXPECT_NE(err.find("--repeatability needs keypoints only"), std::string::npos) << err;
}

}  // namespace
}  // namespace sp::procedures

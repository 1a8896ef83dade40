// `sptrain train_joint` end to end (the app, as a process) on a tiny labelled image
// folder: SuperPoint pairs warped on the fly from HA-style label files, the loss falls
// over a few dozen steps.
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "data/datasets.h"
#include "data/image_io.h"
#include "helpers/test_helpers.h"
#include "procedures/commands.h"
#include "tensor/ops/creation.h"

namespace sp::procedures {
namespace {

namespace fs = std::filesystem;

// A checkerboard (cells of 16 px, offset per image) and its inner corners as labels.
void write_labelled_image(const std::string& images, const std::string& labels, int i) {
  const int64_t h = 64, w = 80, off = 3 * i;
  std::vector<float> v(size_t(h * w));
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x)
      v[size_t(y * w + x)] = (((x + off) / 16 + (y + off) / 16) % 2) ? 0.85f : 0.15f;
  data::write_png(images + "/img" + std::to_string(i) + ".png",
                  from_vector<float>(v, Shape{1, h, w}));
  std::vector<float> pts;
  for (int64_t y = 16 - off; y < h - 4; y += 16)
    for (int64_t x = 16 - off; x < w - 4; x += 16)
      if (x >= 4 && y >= 4) pts.insert(pts.end(), {float(x), float(y), 1.0f});
  data::write_keypoint_labels(labels + "/img" + std::to_string(i) + ".h5",
                              from_vector<float>(pts, Shape{int64_t(pts.size() / 3), 3}));
}

std::string read_file(const std::string& path) {
  std::ifstream f(path);
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

TEST(TrainJointCommand, LossFallsOnATinyLabelledFolder) {
  const std::string exe = std::string(SP_BINARY_DIR) + "/apps/sptrain";
  if (!fs::exists(exe)) GTEST_SKIP() << "sptrain not built";
  const std::string dir = test::temp_dir("train_joint_command");
  fs::remove_all(dir);
  fs::create_directories(dir + "/images");
  fs::create_directories(dir + "/labels");
  for (int i = 0; i < 4; ++i) write_labelled_image(dir + "/images", dir + "/labels", i);
  {
    std::ofstream conf(dir + "/joint.toml");
    conf
        << "[model]\nname = \"superpoint\"\nwidth = 0.25\ndescriptor_dim = 16\ndetector_loss = "
           "\"bce\"\n"
        << "[data]\nname = \"image_folder\"\nlayout = \"folder\"\nroot = \"" << dir << "/images\"\n"
        << "size = [64, 80]\nlabels_dir = \"" << dir << "/labels\"\npairs = true\n"
        << "[data.homographic]\nenable = false\npreset = \"warped_pair\"\nvalid_border_margin = 3\n"
        << "[train]\nseed = 0\ndevice = \"cpu\"\nlr = 0.003\nmax_steps = 40\nbatch_size = "
           "2\nworkers = 1\n"
        << "log_every = 10\neval_every = 0\nsave_every = 0\nkeep_last_n = 1\n";
  }
  const std::string env = "SP_EXPER_PATH=" + dir + "/exper ";
  const std::string run =
      env + exe + " train_joint " + dir + "/joint.toml tiny_joint > " + dir + "/log.txt 2>&1";
  ASSERT_EQ(std::system(run.c_str()), 0) << read_file(dir + "/log.txt");
  const std::string err = read_file(dir + "/log.txt");
  std::ifstream csv(dir + "/exper/tiny_joint/metrics.csv");
  ASSERT_TRUE(csv.good()) << err;
  std::string line;
  std::vector<double> totals;
  while (std::getline(csv, line)) {
    std::stringstream ss(line);
    std::string step, split, key, value;
    std::getline(ss, step, ','), std::getline(ss, split, ','), std::getline(ss, key, ','),
        std::getline(ss, value);
    if (split == "train" && key == "loss/total") totals.push_back(std::stod(value));
  }
  ASSERT_GE(totals.size(), 3u) << err;
  EXPECT_LT(totals.back(), 0.8 * totals.front())
      << "first " << totals.front() << ", last " << totals.back();
  // Usage errors name what is missing.
  const std::string bad = exe + " train_joint " + dir + "/joint.toml > " + dir + "/bad.txt 2>&1";
  EXPECT_NE(std::system(bad.c_str()), 0);
  EXPECT_NE(read_file(dir + "/bad.txt").find("name is required"), std::string::npos)
      << read_file(dir + "/bad.txt");
}

}  // namespace
}  // namespace sp::procedures

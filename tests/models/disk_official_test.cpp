// DISK with the official weights (../shared/weights/disk-depth-save.pth) against kornia
// 0.9.0 on the HPatches-4 images of ../shared/data, at their own sizes (padded to
// multiples of 16): tests/reference/models_disk_official.py. Skips when ../shared (or
// $SP_SHARED_DIR) lacks the weights or the images.
//
// DiskOfficial.FullMapsMatchReference compares the full heatmap, the dense descriptors
// and every keypoint with one reference file of that script's --maps output, named by
// $SP_DISK_REFERENCE (scripts/disk-parity.sh runs it over all 24 images).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "autograd/grad_mode.h"
#include "data/image_io.h"
#include "helpers/test_helpers.h"
#include "models/disk.h"
#include "models/disk_detect.h"
#include "tensor/io/hdf5.h"
#include "tensor/ops/elementwise.h"
#include "tensor/ops/operators.h"
#include "tensor/ops/reduce.h"

namespace fs = std::filesystem;

namespace sp::models {
namespace {

fs::path shared_dir() {
  if (const char* env = std::getenv("SP_SHARED_DIR")) return env;
  return fs::path(SP_SOURCE_DIR) / ".." / "shared";
}

fs::path weights_path() { return shared_dir() / "weights" / "disk-depth-save.pth"; }

std::shared_ptr<DISK> official(int64_t max_keypoints) {
  DiskConfig c;
  c.max_keypoints = max_keypoints;
  auto disk = std::make_shared<DISK>(c);
  disk->load_pretrained(weights_path().string());
  disk->eval();
  return disk;
}

Tensor rgb(const Tensor& image) {
  return image.size(0) == 3 ? image
                            : image.expand({3, image.size(1), image.size(2)}).contiguous();
}

double max_abs_diff(const Tensor& a, const Tensor& b) {
  return max(abs(a.contiguous() - b.contiguous())).item<float>();
}

TEST(DiskOfficial, LoadsTheOfficialWeightsByName) {
  if (!fs::exists(weights_path())) GTEST_SKIP() << "no " << weights_path();
  auto disk = official(-1);
  int64_t count = 0;
  for (const auto& [name, p] : disk->named_parameters()) count += p.numel();
  EXPECT_EQ(count, 1092369);
}

TEST(DiskOfficial, MatchesKorniaOnHPatches) {
  const fs::path hpatches = shared_dir() / "data" / "hpatches-sequences-release";
  if (!fs::exists(weights_path()) || !fs::is_directory(hpatches))
    GTEST_SKIP() << "no " << weights_path() << " or " << hpatches;
  const auto fx = test::load_fixture("models_disk_official.h5");
  auto disk = official(2048);
  ag::NoGradGuard no_grad;
  int checked = 0;
  double worst_score = 0, worst_descriptor = 0, worst_grid = 0;
  for (const auto& seq : {"i_leuven", "v_bikes", "v_boat", "v_graffiti"}) {
    for (int k = 1; k <= 6; ++k) {
      const std::string key = std::string(seq) + "/" + std::to_string(k) + "/";
      fs::path file;
      for (const char* ext : {".ppm", ".pgm"})
        if (fs::exists(hpatches / seq / (std::to_string(k) + ext)))
          file = hpatches / seq / (std::to_string(k) + ext);
      ASSERT_FALSE(file.empty()) << key;
      const Tensor image = rgb(data::read_image(file.string())).unsqueeze(0);
      const auto [heat, desc] = disk->heatmap_and_descriptors(ag::Var(image));
      const Tensor h = heat.data().contiguous();
      const std::vector<DiskDetections> dets = disk->detect(h, desc.data().contiguous());
      const DiskDetections& d = dets.front();
      // The same top-2048 keypoints, in the same (raster) order.
      ASSERT_TRUE(test::equal(d.keypoints, fx.at(key + "keypoints").to(DType::F32))) << key;
      worst_score = std::max(worst_score, max_abs_diff(d.scores, fx.at(key + "scores")));
      worst_descriptor = std::max(
          worst_descriptor, max_abs_diff(d.descriptors.narrow(0, 0, 16), fx.at(key + "descriptors")));
      const Tensor grid = h.select(0, 0).select(0, 0).slice(0, 0, h.size(2), 32).slice(1, 0, h.size(3), 32);
      worst_grid = std::max(worst_grid, max_abs_diff(grid, fx.at(key + "grid")));
      // Every keypoint (no top-n): the same count.
      const Tensor mask = disk_maxima_mask(h, 5, 0.0);
      EXPECT_EQ(sum(mask.to(DType::I64)).item<int64_t>(), fx.at(key + "count").item<int64_t>())
          << key;
      ++checked;
    }
  }
  EXPECT_EQ(checked, 24);
  EXPECT_LE(worst_score, 1e-4);
  EXPECT_LE(worst_descriptor, 1e-4);
  EXPECT_LE(worst_grid, 1e-4);
  std::cout << "max |sp - kornia|: scores " << worst_score << ", descriptors " << worst_descriptor
            << ", heatmap grid " << worst_grid << "\n";
}

TEST(DiskOfficial, FullMapsMatchReference) {
  const char* reference = std::getenv("SP_DISK_REFERENCE");
  if (!reference || !fs::exists(weights_path()))
    GTEST_SKIP() << "set SP_DISK_REFERENCE (scripts/disk-parity.sh)";
  io::H5File file(reference, io::H5File::Mode::Read);
  const Tensor image = file.read("image").unsqueeze(0);
  auto disk = official(-1);
  ag::NoGradGuard no_grad;
  const auto [heat, desc] = disk->heatmap_and_descriptors(ag::Var(image));
  const double dh = max_abs_diff(heat.data().select(0, 0).select(0, 0), file.read("heatmap"));
  if (const char* dump = std::getenv("SP_DISK_DUMP")) {
    io::H5File out(dump, io::H5File::Mode::Truncate);
    out.write("heatmap", heat.data().select(0, 0).select(0, 0).contiguous());
  }
  const double dd = max_abs_diff(desc.data().select(0, 0), file.read("descriptors"));
  const std::vector<DiskDetections> dets =
      disk->detect(heat.data().contiguous(), desc.data().contiguous());
  const Tensor ref_kp = file.read("keypoints");
  const bool same = dets[0].keypoints.size(0) == ref_kp.size(0) &&
                    test::equal(dets[0].keypoints, ref_kp);
  std::cout << "DISK_PARITY " << reference << " heatmap " << dh << " descriptors " << dd
            << " keypoints " << dets[0].keypoints.size(0) << "/" << ref_kp.size(0)
            << (same ? " identical" : " DIFFERENT") << "\n";
  EXPECT_LE(dh, 1e-4);
  EXPECT_LE(dd, 1e-4);
  EXPECT_TRUE(same);
}

}  // namespace
}  // namespace sp::models

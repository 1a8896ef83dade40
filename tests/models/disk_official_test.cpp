// DISK with the official weights (../shared/weights/disk-depth-save.pth) against kornia
// 0.9.0 on the HPatches-4 images of ../shared/data, at their own sizes (padded to
// multiples of 16): tests/reference/models_disk_official.py. Skips when ../shared (or
// $SP_SHARED_DIR) lacks the weights or the images.
//
// The reference runs kornia's network in float64: the heatmap logits reach |490|, where
// any float32 evaluation is off by about 1e-3 (sp: 8e-4 and 9e-4 on the two images
// measured; kornia's own f32 run: 1.7e-3 to 1.2e-2), so an absolute 1e-4 on the logits
// is below float32's reach. The tolerances are therefore 2e-3 on the logits (5e-6 of
// their range) and 1e-4 on the L2-normalised descriptors, and the keypoint sets must
// equal the exact (f64) ones but for near-ties that float32 rounding decides (kornia's
// own f32 run differs from the f64 keypoints on 7 of the 24 images; docs/DISK.md).
//
// DiskOfficial.FullMapsMatchReference compares the full heatmap, the dense descriptors
// and every keypoint with one reference file of that script's --maps output, named by
// $SP_DISK_REFERENCE (scripts/disk-parity.sh runs it over all 24 images).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>

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

fs::path weights_path() {
  return shared_dir() / "weights" / "disk-depth-save.pth";
}

std::shared_ptr<DISK> official(int64_t max_keypoints) {
  DiskConfig c;
  c.max_keypoints = max_keypoints;
  auto disk = std::make_shared<DISK>(c);
  disk->load_pretrained(weights_path().string());
  disk->eval();
  return disk;
}

Tensor rgb(const Tensor& image) {
  return image.size(0) == 3 ? image : image.expand({3, image.size(1), image.size(2)}).contiguous();
}

double max_abs_diff(const Tensor& a, const Tensor& b) {
  return max(abs(a.contiguous() - b.contiguous())).item<float>();
}

// Logits closer than this are a near-tie that float32 rounding may decide either way
// (kornia's own float32 heatmap is off the float64 one by up to 1.2e-2).
constexpr double kTie = 1e-2;

// How many keypoints are in one top-n set but not the other, and how many of those are
// not a near-tie: neither within kTie of the reference's n-th (smallest) score, nor a
// maximum that moved to a neighbour (within 2 px) of the other set scoring within kTie.
std::pair<int64_t, int64_t> top_n_difference(const Tensor& kp, const Tensor& scores,
                                             const Tensor& ref_kp, const Tensor& ref_scores) {
  using Map = std::map<std::pair<int64_t, int64_t>, float>;
  auto as_map = [](const Tensor& k, const Tensor& s) {
    const std::vector<float> xy = k.contiguous().to_vector<float>();
    const std::vector<float> v = s.contiguous().to_vector<float>();
    Map m;
    for (size_t i = 0; i < v.size(); ++i) m[{int64_t(xy[2 * i]), int64_t(xy[2 * i + 1])}] = v[i];
    return m;
  };
  const Map a = as_map(kp, scores), b = as_map(ref_kp, ref_scores);
  const std::vector<float> r = ref_scores.contiguous().to_vector<float>();
  const double cut = r.empty() ? 0.0 : double(*std::min_element(r.begin(), r.end()));
  int64_t differ = 0, unexplained = 0;
  for (const Map* m : {&a, &b}) {
    const Map& other = m == &a ? b : a;
    for (const auto& [p, s] : *m) {
      if (other.count(p)) continue;
      ++differ;
      bool tie = std::abs(double(s) - cut) <= kTie;
      for (const auto& [q, t] : other)
        tie = tie || (!m->count(q) && std::abs(q.first - p.first) <= 2 &&
                      std::abs(q.second - p.second) <= 2 && std::abs(double(t - s)) <= kTie);
      unexplained += !tie;
    }
  }
  return {differ, unexplained};
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
  int checked = 0, identical = 0, count_differs = 0;
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
      // The same top-2048 keypoints as the exact (f64) reference, in the same (raster)
      // order; where float32 rounding decides a near-tie (at the 2048th score, or between
      // two neighbouring pixels of a maximum), the keypoints that differ must all be one.
      const Tensor ref_kp = fx.at(key + "keypoints").to(DType::F32);
      const Tensor ref_scores = fx.at(key + "scores");
      if (test::equal(d.keypoints, ref_kp)) {
        ++identical;
        worst_score = std::max(worst_score, max_abs_diff(d.scores, ref_scores));
        worst_descriptor = std::max(worst_descriptor, max_abs_diff(d.descriptors.narrow(0, 0, 16),
                                                                   fx.at(key + "descriptors")));
      } else {
        const auto [differ, unexplained] =
            top_n_difference(d.keypoints, d.scores, ref_kp, ref_scores);
        std::cout << key << " top-2048: " << differ << " keypoints differ, " << unexplained
                  << " of them not a near-tie\n";
        EXPECT_LE(differ, 4) << key;
        EXPECT_EQ(unexplained, 0) << key;
      }
      const Tensor grid =
          h.select(0, 0).select(0, 0).slice(0, 0, h.size(2), 32).slice(1, 0, h.size(3), 32);
      worst_grid = std::max(worst_grid, max_abs_diff(grid, fx.at(key + "grid")));
      // Every keypoint (no top-n): the same count but for near-ties at the threshold.
      const Tensor mask = disk_maxima_mask(h, 5, 0.0);
      const int64_t count = sum(mask.to(DType::I64)).item<int64_t>();
      const int64_t ref_count = fx.at(key + "count").item<int64_t>();
      if (count != ref_count)
        std::cout << key << " maxima: " << count << " (reference " << ref_count << ")\n";
      EXPECT_LE(std::abs(count - ref_count), 2) << key;
      count_differs += count != ref_count;
      ++checked;
    }
  }
  EXPECT_EQ(checked, 24);
  EXPECT_GE(identical, 20);
  EXPECT_LE(count_differs, 4);
  EXPECT_LE(worst_score, 2e-3);
  EXPECT_LE(worst_descriptor, 1e-4);
  // sp's float32: 1.6e-3 on AVX2, 2.2e-3 on AVX-512 (summation order); kornia's own
  // float32 is off by up to 1.2e-2 from the same float64 reference.
  EXPECT_LE(worst_grid, 4e-3);
  std::cout << identical << " of 24 top-2048 sets identical, " << 24 - count_differs
            << " maxima counts identical; max |sp - reference|: scores " << worst_score
            << ", descriptors " << worst_descriptor << ", heatmap grid " << worst_grid << "\n";
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
  const bool same =
      dets[0].keypoints.size(0) == ref_kp.size(0) && test::equal(dets[0].keypoints, ref_kp);
  std::cout << "DISK_PARITY " << reference << " heatmap " << dh << " descriptors " << dd
            << " keypoints " << dets[0].keypoints.size(0) << "/" << ref_kp.size(0)
            << (same ? " identical" : " DIFFERENT") << "\n";
  EXPECT_LE(dh, 2e-3);  // logits up to |490|: see the top of the file
  EXPECT_LE(dd, 5e-4);  // dense (unnormalised) descriptors up to |30|
  EXPECT_TRUE(same);
}

}  // namespace
}  // namespace sp::models

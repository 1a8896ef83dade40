// COLMAP sparse reconstructions (data/colmap.cpp) through Reconstruction::read and the
// pair dataset built on them (data/colmap_dataset.cpp).
//
// Input: byte 0 picks the format (bit 0: text, else binary); bytes 1-2 and 3-4 (little
// endian) the lengths of cameras and images (clamped to what is left); the rest is
// points3D. The three files go into a scratch model folder. Properties: every map is
// keyed by its record's id; an image has one point3D id per 2-D point; a camera holds
// its model's parameter count; then ColmapPairDataset::build, whose views' sparse depths
// come from points that exist.
#include <filesystem>

#include "data/colmap.h"
#include "data/colmap_dataset.h"
#include "fuzz_util.h"

namespace fs = std::filesystem;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string dir = sp::fuzz::temp_dir() + "/model";
  static const bool made = fs::create_directories(dir) || true;
  (void)made;
  sp::fuzz::Input in(data, size);
  const bool text = in.u8() & 1;
  const size_t cam_len = in.bits(2), img_len = in.bits(2);
  const std::string_view cams = in.take(cam_len), imgs = in.take(img_len), pts = in.take(in.left());
  const std::string ext = text ? ".txt" : ".bin", other = text ? ".bin" : ".txt";
  for (const char* f : {"cameras", "images", "points3D"}) fs::remove(dir + "/" + f + other);
  auto put = [&](const char* f, std::string_view bytes) {
    sp::fuzz::write_file(dir + "/" + f + ext, reinterpret_cast<const uint8_t*>(bytes.data()),
                         bytes.size());
  };
  put("cameras", cams);
  put("images", imgs);
  put("points3D", pts);

  sp::data::Reconstruction r;
  if (!sp::fuzz::accepts([&] { r = sp::data::Reconstruction::read(dir); })) return 0;
  for (const auto& [id, c] : r.cameras) {
    SP_FUZZ_ASSERT(id == c.id);
    SP_FUZZ_ASSERT(int(c.params.size()) == sp::data::colmap_model_params(c.model));
  }
  for (const auto& [id, im] : r.images) {
    SP_FUZZ_ASSERT(id == im.id);
    SP_FUZZ_ASSERT(im.points2d.size() == im.point3d_ids.size());
  }
  for (const auto& [id, p] : r.points) SP_FUZZ_ASSERT(id == p.id);

  sp::data::ColmapDatasetConfig config;
  config.model_dir = dir;
  config.image_dir = dir;
  config.min_shared = 1;
  config.both_orders = text;
  sp::data::ColmapPairDataset::Built b;
  if (!sp::fuzz::accepts([&] { b = sp::data::ColmapPairDataset::build(config, r); })) return 0;
  SP_FUZZ_ASSERT(b.views.size() == r.images.size() && b.image_ids.size() == b.views.size());
  for (const auto& p : b.pairs) {
    SP_FUZZ_ASSERT(p.view0 >= 0 && p.view1 >= 0 && p.view0 < int64_t(b.views.size()) &&
                   p.view1 < int64_t(b.views.size()) && p.view0 != p.view1);
    SP_FUZZ_ASSERT(p.overlap > 0 && p.overlap <= 1);
  }
  return 0;
}

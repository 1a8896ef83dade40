// Relative-pose pair lists (eval/pose_pairs.cpp, data/posed_pairs.cpp) through
// eval::read_pose_benchmark: a SuperGlue pair list, or a posed-images folder
// (MegaDepth-1500: views.txt and pairs.txt).
//
// Input: byte 0 picks the layout (bit 0: folder, else a pair list, the rest of the
// input); for a folder, bytes 1-2 (little endian) the length of views.txt (clamped), the
// rest pairs.txt. Properties: every pair names two images and its line; a folder's
// pairs point into its views (K from a COLMAP camera: positive focals, last row 0 0 1);
// the image folder is the one given.
#include <filesystem>
#include <iostream>

#include "eval/pose_pairs.h"
#include "fuzz_util.h"

namespace fs = std::filesystem;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string dir = sp::fuzz::temp_dir() + "/posed";
  static const std::string list = sp::fuzz::temp_path("pairs.txt");
  static const bool made = fs::create_directories(dir + "/images") || true;
  // read_posed_images notes each skipped pair on std::cerr: a line per input would fill
  // the log (sanitizer reports do not go through std::cerr). SP_FUZZ_VERBOSE keeps them.
  static const bool quiet = sp::fuzz::verbose() || (std::cerr.setstate(std::ios::badbit), true);
  (void)made;
  (void)quiet;
  sp::fuzz::Input in(data, size);
  const bool folder = in.u8() & 1;
  sp::eval::PosePairs p;
  auto write = [](const std::string& path, std::string_view bytes) {
    sp::fuzz::write_file(path, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  };
  if (folder) {
    const size_t views_len = in.bits(2);
    write(dir + "/views.txt", in.take(views_len));
    write(dir + "/pairs.txt", in.take(in.left()));
    if (!sp::fuzz::accepts([&] { p = sp::eval::read_pose_benchmark(dir); })) return 0;
    SP_FUZZ_ASSERT(p.image_dir == dir + "/images");
    SP_FUZZ_ASSERT(p.skipped >= 0);
  } else {
    write(list, in.take(in.left()));
    if (!sp::fuzz::accepts([&] { p = sp::eval::read_pose_benchmark(list, "images"); })) return 0;
    SP_FUZZ_ASSERT(p.image_dir == "images" && p.skipped == 0);
  }
  for (const sp::eval::PosePair& pair : p.pairs) {
    SP_FUZZ_ASSERT(!pair.name0.empty() && !pair.name1.empty() && !pair.where.empty());
    if (folder) {
      SP_FUZZ_ASSERT(pair.K0(0, 0) > 0 && pair.K0(1, 1) > 0 && pair.K1(0, 0) > 0 &&
                     pair.K1(1, 1) > 0);
      SP_FUZZ_ASSERT(pair.K0(2, 2) == 1 && pair.K0(2, 0) == 0 && pair.K1(2, 2) == 1);
    }
  }
  return 0;
}

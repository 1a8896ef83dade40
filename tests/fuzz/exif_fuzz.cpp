// colmap::exif_focal_length_35mm (colmap/exif.cpp): the EXIF focal length spcolmap reads
// from every JPEG it registers, parsed from the APP1 segment without decoding the image.
// Properties: a focal length, when found, is a positive whole number of mm (a SHORT or a
// LONG); the file entry point agrees with the bytes entry point.
#include <cmath>

#include "colmap/exif.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = sp::fuzz::temp_path("image.jpg");
  const std::vector<uint8_t> bytes(data, data + size);
  const std::optional<double> f = sp::colmap::exif_focal_length_35mm(bytes);
  if (f) SP_FUZZ_ASSERT(*f >= 1 && *f <= 4294967295.0 && std::floor(*f) == *f);
  sp::fuzz::write_file(path, data, size);
  SP_FUZZ_ASSERT(sp::colmap::exif_focal_length_35mm(path) == f);  // inputs are < 256 KiB
  return 0;
}

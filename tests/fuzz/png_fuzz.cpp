// read_image on PNG files (data/image_io.cpp): see image_fuzz.h.
//
// The harness rewrites every chunk's CRC before decoding: libpng rejects a chunk whose
// CRC does not match, so without this nearly every mutation of a header field would
// stop at the CRC check instead of reaching the decoder and sp's handling of its output.
#include <zlib.h>

#include <vector>

#include "image_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (!sp::fuzz::is_png(data, size)) return 0;
  std::vector<uint8_t> png(data, data + size);
  for (size_t at = 8; at + 12 <= png.size();) {
    const size_t len =
        size_t(png[at]) << 24 | size_t(png[at + 1]) << 16 | size_t(png[at + 2]) << 8 | png[at + 3];
    if (len > png.size() - at - 12) break;
    const uint32_t crc = uint32_t(crc32(0, png.data() + at + 4, uInt(len + 4)));
    for (int k = 0; k < 4; ++k) png[at + 8 + len + size_t(k)] = uint8_t(crc >> (24 - 8 * k));
    at += 12 + len;
  }
  sp::fuzz::fuzz_image(png.data(), png.size());
  return 0;
}

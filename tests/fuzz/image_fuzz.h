// The image decoders (data/image_io.cpp), shared by png_fuzz, jpeg_fuzz and pnm_fuzz:
// each keeps only inputs of its own format (by magic bytes, as read_image chooses), so
// its 10 minutes go to one decoder.
#pragma once

#include <cmath>
#include <cstring>

#include "data/image_io.h"
#include "fuzz_util.h"

namespace sp::fuzz {

inline bool is_png(const uint8_t* d, size_t n) {
  return n >= 8 && std::memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0;
}
inline bool is_jpeg(const uint8_t* d, size_t n) {
  return n >= 2 && d[0] == 0xFF && d[1] == 0xD8;
}
inline bool is_pnm(const uint8_t* d, size_t n) {
  return n >= 2 && d[0] == 'P' && (d[1] == '5' || d[1] == '6');
}

// read_image on the bytes, in color and in gray; a decoded image is f32 [1 or 3, H, W]
// with every value in [0, 1].
inline void fuzz_image(const uint8_t* data, size_t size) {
  const std::string path = write_temp("image", data, size);
  for (bool gray : {false, true}) {
    Tensor img;
    if (!accepts([&] { img = data::read_image(path, gray); })) continue;
    SP_FUZZ_ASSERT(img.dtype() == DType::F32 && img.dim() == 3 && img.is_contiguous());
    SP_FUZZ_ASSERT(img.size(0) == 1 || img.size(0) == 3);
    SP_FUZZ_ASSERT(!gray || img.size(0) == 1);
    SP_FUZZ_ASSERT(img.size(1) > 0 && img.size(2) > 0);
    const float* p = img.data<float>();
    for (int64_t i = 0; i < img.numel(); ++i) SP_FUZZ_ASSERT(p[i] >= 0.0f && p[i] <= 1.0f);
  }
}

}  // namespace sp::fuzz

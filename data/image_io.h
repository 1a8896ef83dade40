// Image I/O and basic image transforms.
//
// Convention for the whole data/ layer: an image is a contiguous f32 Tensor [C, H, W]
// (C = 1 gray or 3 RGB) with values in [0, 1]. 8-bit files are divided by 255, 16-bit
// files by 65535. Alpha channels are dropped on read (gray+alpha -> gray, RGBA -> RGB).
#pragma once

#include <cstdint>
#include <string>

#include "tensor/tensor.h"

namespace sp::data {

// The largest image read_image decodes (8192 x 8192): a header cannot make it allocate
// more than about 1.3 GB (a 16-bit RGBA decode plus the f32 RGB result).
constexpr int64_t kMaxImagePixels = int64_t(1) << 26;

// Reads PNG (8/16-bit, gray, gray+alpha, RGB, RGBA, palette), JPEG (libturbojpeg) or
// PPM/PGM (P5/P6, maxval up to 65535, comments allowed), chosen by the file's magic
// bytes. Returns f32 [C, H, W] in [0, 1]. With `gray`, RGB is converted by rgb_to_gray.
// Throws sp::Error naming the file and the reason on corrupt, truncated or unsupported
// files, and on images of more than kMaxImagePixels pixels (before allocating them).
Tensor read_image(const std::string& path, bool gray = false);

// Writes an 8-bit PNG / PPM (P5 for 1 channel, P6 for 3). `image` is [C, H, W] or
// [H, W] f32 in [0, 1] (values are clamped and rounded to u8), C = 1 or 3.
void write_png(const std::string& path, const Tensor& image);
void write_ppm(const std::string& path, const Tensor& image);

// [3, H, W] -> [1, H, W] with OpenCV's weights 0.299 R + 0.587 G + 0.114 B. A 1-channel
// image is returned unchanged.
Tensor rgb_to_gray(const Tensor& image);

enum class Interp {
  Linear,  // cv2.resize INTER_LINEAR (half-pixel centers, edge clamp)
  Area,    // cv2.resize INTER_AREA (pixel-area average when downscaling)
};

// Resizes [C, H, W] (or [H, W]) f32 to out_h x out_w, matching cv2.resize on float images.
Tensor resize(const Tensor& image, int64_t out_h, int64_t out_w, Interp interp = Interp::Linear);

// Plain-buffer variant used by the generators: src is h x w single channel.
void resize_plane(const float* src, int64_t h, int64_t w, float* dst, int64_t out_h, int64_t out_w,
                  Interp interp);

}  // namespace sp::data

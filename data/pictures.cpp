#include "data/pictures.h"

#include <png.h>

#include <algorithm>
#include <cmath>
#include <csetjmp>
#include <string>

#include "tensor/check.h"
#include "tensor/ops/creation.h"

namespace sp::data {

namespace {

void put(float* rgb, int64_t h, int64_t w, int64_t x, int64_t y, const float color[3]) {
  if (x < 0 || y < 0 || x >= w || y >= h) return;
  for (int c = 0; c < 3; ++c) rgb[c * h * w + y * w + x] = color[c];
}

}  // namespace

Tensor draw_keypoints(const Tensor& image, const Tensor& keypoints, const Tensor& truth) {
  Tensor gray = image.cpu().to(DType::F32).contiguous();
  if (gray.dim() == 3) {
    SP_CHECK(gray.size(0) == 1, "draw_keypoints: expected a gray image [1, H, W], got ",
             gray.shape());
    gray = gray.select(0, 0);
  }
  SP_CHECK(gray.dim() == 2, "draw_keypoints: expected a gray image [1, H, W] or [H, W], got ",
           image.shape());
  gray = gray.contiguous();
  const int64_t h = gray.size(0), w = gray.size(1);
  Tensor out = zeros({3, h, w});
  float* rgb = out.data<float>();
  const float* g = gray.data<float>();
  for (int c = 0; c < 3; ++c)
    for (int64_t i = 0; i < h * w; ++i) rgb[c * h * w + i] = std::clamp(g[i], 0.0f, 1.0f);
  auto points = [](const Tensor& p) {
    std::vector<std::pair<int64_t, int64_t>> out;
    if (!p.defined() || p.numel() == 0) return out;
    Tensor q = p.cpu().to(DType::F32).contiguous();
    SP_CHECK(q.dim() == 2 && q.size(1) == 2, "draw_keypoints: expected points [N, 2], got ",
             p.shape());
    const float* d = q.data<float>();
    for (int64_t i = 0; i < q.size(0); ++i)
      out.push_back({int64_t(std::lround(d[2 * i])), int64_t(std::lround(d[2 * i + 1]))});
    return out;
  };
  const float green[3] = {0.1f, 0.9f, 0.1f}, red[3] = {1.0f, 0.1f, 0.1f};
  // Square rings of radius 3 around the truth, so a detection inside stays visible.
  for (auto [x, y] : points(truth))
    for (int64_t d = -3; d <= 3; ++d) {
      put(rgb, h, w, x + d, y - 3, green);
      put(rgb, h, w, x + d, y + 3, green);
      put(rgb, h, w, x - 3, y + d, green);
      put(rgb, h, w, x + 3, y + d, green);
    }
  for (auto [x, y] : points(keypoints))
    for (int64_t dy = -1; dy <= 1; ++dy)
      for (int64_t dx = -1; dx <= 1; ++dx)
        if (dx == 0 || dy == 0) put(rgb, h, w, x + dx, y + dy, red);
  return out;
}

Tensor tile(const std::vector<Tensor>& images, int64_t cols) {
  SP_CHECK(!images.empty() && cols > 0, "tile: expected images and cols > 0, got ", images.size(),
           " images");
  const Shape s = images[0].shape();
  SP_CHECK(s.size() == 3, "tile: expected images [C, H, W], got ", s);
  const int64_t c = s[0], h = s[1], w = s[2], gap = 2;
  cols = std::min<int64_t>(cols, int64_t(images.size()));
  const int64_t rows = (int64_t(images.size()) + cols - 1) / cols;
  const int64_t H = rows * h + (rows - 1) * gap, W = cols * w + (cols - 1) * gap;
  Tensor out = ones({c, H, W});
  float* o = out.data<float>();
  for (size_t k = 0; k < images.size(); ++k) {
    SP_CHECK(images[k].shape() == s, "tile: expected every image of shape ", s, ", got ",
             images[k].shape());
    Tensor im = images[k].cpu().to(DType::F32).contiguous();
    const float* p = im.data<float>();
    const int64_t y0 = int64_t(k) / cols * (h + gap), x0 = int64_t(k) % cols * (w + gap);
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t y = 0; y < h; ++y)
        std::copy(p + (ch * h + y) * w, p + (ch * h + y + 1) * w, o + (ch * H + y0 + y) * W + x0);
  }
  return out;
}

namespace {
struct PngWriteState {
  std::vector<uint8_t> bytes;
  std::string error;
  std::jmp_buf jump;
};
void png_write_fn(png_structp png, png_bytep data, png_size_t n) {
  auto* st = static_cast<PngWriteState*>(png_get_io_ptr(png));
  st->bytes.insert(st->bytes.end(), data, data + n);
}
void png_flush_fn(png_structp) {}
void png_error_fn(png_structp png, png_const_charp msg) {
  auto* st = static_cast<PngWriteState*>(png_get_error_ptr(png));
  st->error = msg;
  std::longjmp(st->jump, 1);
}
void png_warning_fn(png_structp, png_const_charp) {}
}  // namespace

std::vector<uint8_t> encode_png(const Tensor& image) {
  Tensor im = image.cpu().to(DType::F32).contiguous();
  if (im.dim() == 2) im = im.reshape({1, im.size(0), im.size(1)});
  SP_CHECK(im.dim() == 3 && (im.size(0) == 1 || im.size(0) == 3),
           "encode_png: expected [1|3, H, W], got ", image.shape());
  const int64_t c = im.size(0), h = im.size(1), w = im.size(2);
  std::vector<uint8_t> pixels(size_t(c * h * w));
  const float* p = im.data<float>();
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x)
      for (int64_t ch = 0; ch < c; ++ch)
        pixels[size_t((y * w + x) * c + ch)] =
            uint8_t(std::lround(std::clamp(p[(ch * h + y) * w + x], 0.0f, 1.0f) * 255.0f));
  std::vector<png_bytep> rows(static_cast<size_t>(h));
  for (int64_t y = 0; y < h; ++y) rows[size_t(y)] = pixels.data() + y * w * c;

  PngWriteState st;
  png_structp png =
      png_create_write_struct(PNG_LIBPNG_VER_STRING, &st, png_error_fn, png_warning_fn);
  SP_CHECK(png != nullptr, "encode_png: cannot create a PNG encoder");
  png_infop info = png_create_info_struct(png);
  if (setjmp(st.jump)) {
    png_destroy_write_struct(&png, &info);
    SP_FAIL("encode_png: libpng failed: ", st.error);
  }
  png_set_write_fn(png, &st, png_write_fn, png_flush_fn);
  png_set_IHDR(png, info, png_uint_32(w), png_uint_32(h), 8,
               c == 1 ? PNG_COLOR_TYPE_GRAY : PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_set_rows(png, info, rows.data());
  png_write_png(png, info, PNG_TRANSFORM_IDENTITY, nullptr);
  png_destroy_write_struct(&png, &info);
  return std::move(st.bytes);
}

Tensor label_points(const Tensor& labels) {
  Tensor l = labels.cpu().to(DType::F32).contiguous();
  if (l.dim() == 3) l = l.select(0, 0).contiguous();
  SP_CHECK(l.dim() == 2, "label_points: expected a label map [1, H, W] or [H, W], got ",
           labels.shape());
  const int64_t h = l.size(0), w = l.size(1);
  const float* d = l.data<float>();
  std::vector<float> xy;
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x)
      if (d[y * w + x] > 0) {
        xy.push_back(float(x));
        xy.push_back(float(y));
      }
  Tensor out = empty({int64_t(xy.size() / 2), 2});
  std::copy(xy.begin(), xy.end(), out.data<float>());
  return out;
}

}  // namespace sp::data

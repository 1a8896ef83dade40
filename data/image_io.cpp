#include "data/image_io.h"

#include <png.h>
#include <turbojpeg.h>

#include <algorithm>
#include <cmath>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

#include "tensor/ops/creation.h"

namespace sp::data {
namespace {

std::vector<unsigned char> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  SP_CHECK(in.good(), "read_image: expected a readable file, got '", path, "' (cannot open)");
  return std::vector<unsigned char>(std::istreambuf_iterator<char>(in),
                                    std::istreambuf_iterator<char>());
}

// Rejects a header's size before any pixel memory is allocated for it.
void check_size(const std::string& path, int64_t w, int64_t h) {
  SP_CHECK(w > 0 && h > 0 && w <= kMaxImagePixels / h, "read_image: expected at most ",
           kMaxImagePixels, " pixels in '", path, "', got ", w, " x ", h);
}

// Interleaved HWC samples (u8 or big-endian u16 already decoded to uint16) -> [C, H, W] f32.
template <typename T>
Tensor planar_from_interleaved(const T* src, int64_t h, int64_t w, int64_t c_in, int64_t c_out,
                               float scale) {
  Tensor out = empty({c_out, h, w});
  float* o = out.data<float>();
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x)
      for (int64_t c = 0; c < c_out; ++c)
        o[(c * h + y) * w + x] = float(src[(y * w + x) * c_in + c]) * scale;
  return out;
}

// ---- PNG (classic libpng API so 16-bit samples stay raw, not gamma-linearised)
struct PngReadState {
  const unsigned char* data;
  size_t size;
  size_t pos;
  char message[256];
  std::jmp_buf jump;
};

void png_error_fn(png_structp png, png_const_charp msg) {
  auto* st = static_cast<PngReadState*>(png_get_error_ptr(png));
  std::snprintf(st->message, sizeof(st->message), "%s", msg);
  std::longjmp(st->jump, 1);
}
void png_warning_fn(png_structp, png_const_charp) {}
void png_read_fn(png_structp png, png_bytep out, png_size_t n) {
  auto* st = static_cast<PngReadState*>(png_get_io_ptr(png));
  if (st->pos + n > st->size) png_error(png, "truncated file (unexpected end of data)");
  std::memcpy(out, st->data + st->pos, n);
  st->pos += n;
}

Tensor read_png(const std::string& path, const std::vector<unsigned char>& bytes) {
  PngReadState st{bytes.data(), bytes.size(), 0, {0}, {}};
  png_structp png =
      png_create_read_struct(PNG_LIBPNG_VER_STRING, &st, png_error_fn, png_warning_fn);
  SP_CHECK(png != nullptr, "read_image: cannot create a PNG decoder for '", path, "'");
  png_infop info = png_create_info_struct(png);
  // Everything touched after setjmp is plain data declared before it.
  std::vector<unsigned char> pixels;
  std::vector<png_bytep> rows;
  png_uint_32 w = 0, h = 0;
  int depth = 0, channels = 0;
  if (setjmp(st.jump)) {
    png_destroy_read_struct(&png, &info, nullptr);
    SP_FAIL("read_image: corrupt PNG '", path, "': ", st.message);
  }
  png_set_read_fn(png, &st, png_read_fn);
  png_read_info(png, info);
  int color = png_get_color_type(png, info);
  depth = png_get_bit_depth(png, info);
  if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (color == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
  if (png_get_valid(png, info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(png);
  if (depth == 16) png_set_swap(png);  // little-endian u16 in memory
  png_read_update_info(png, info);
  w = png_get_image_width(png, info);
  h = png_get_image_height(png, info);
  if (int64_t(w) * h > kMaxImagePixels || w == 0 || h == 0) {
    png_destroy_read_struct(&png, &info, nullptr);
    check_size(path, w, h);
  }
  depth = png_get_bit_depth(png, info);
  channels = png_get_channels(png, info);
  size_t row_bytes = png_get_rowbytes(png, info);
  pixels.resize(row_bytes * h);
  rows.resize(h);
  for (png_uint_32 y = 0; y < h; ++y) rows[y] = pixels.data() + y * row_bytes;
  png_read_image(png, rows.data());
  png_destroy_read_struct(&png, &info, nullptr);

  int64_t c_out = channels >= 3 ? 3 : 1;  // alpha dropped
  if (depth == 16)
    return planar_from_interleaved(reinterpret_cast<const uint16_t*>(pixels.data()), h, w, channels,
                                   c_out, 1.0f / 65535.0f);
  return planar_from_interleaved(pixels.data(), h, w, channels, c_out, 1.0f / 255.0f);
}

// ---- JPEG
Tensor read_jpeg(const std::string& path, const std::vector<unsigned char>& bytes) {
  tjhandle tj = tjInitDecompress();
  SP_CHECK(tj != nullptr, "read_image: cannot create a JPEG decoder for '", path, "'");
  int w = 0, h = 0, subsamp = 0, colorspace = 0;
  auto* data = const_cast<unsigned char*>(bytes.data());
  if (tjDecompressHeader3(tj, data, (unsigned long)bytes.size(), &w, &h, &subsamp, &colorspace) !=
      0) {
    std::string msg = tjGetErrorStr2(tj);
    tjDestroy(tj);
    SP_FAIL("read_image: corrupt JPEG '", path, "': ", msg);
  }
  if (int64_t(w) * h > kMaxImagePixels || w <= 0 || h <= 0) {
    tjDestroy(tj);
    check_size(path, w, h);
  }
  bool gray = colorspace == TJCS_GRAY;
  int c = gray ? 1 : 3;
  std::vector<unsigned char> pixels(size_t(w) * h * c);
  int rc = tjDecompress2(tj, data, (unsigned long)bytes.size(), pixels.data(), w, 0, h,
                         gray ? TJPF_GRAY : TJPF_RGB, TJFLAG_ACCURATEDCT);
  // Warnings (rc != 0 with TJERR_WARNING) still produce an image; truncation is an error.
  if (rc != 0 && tjGetErrorCode(tj) == TJERR_FATAL) {
    std::string msg = tjGetErrorStr2(tj);
    tjDestroy(tj);
    SP_FAIL("read_image: corrupt JPEG '", path, "': ", msg);
  }
  std::string warning = rc != 0 ? tjGetErrorStr2(tj) : "";
  tjDestroy(tj);
  SP_CHECK(warning.find("Premature end") == std::string::npos, "read_image: truncated JPEG '", path,
           "': ", warning);
  return planar_from_interleaved(pixels.data(), h, w, c, c, 1.0f / 255.0f);
}

// ---- PNM (P5 / P6)
Tensor read_pnm(const std::string& path, const std::vector<unsigned char>& bytes) {
  size_t pos = 2;
  auto next_int = [&](const char* what) {
    while (pos < bytes.size()) {
      if (bytes[pos] == '#') {
        while (pos < bytes.size() && bytes[pos] != '\n') ++pos;
      } else if (std::isspace(bytes[pos])) {
        ++pos;
      } else {
        break;
      }
    }
    SP_CHECK(pos < bytes.size() && std::isdigit(bytes[pos]), "read_image: corrupt PNM header in '",
             path, "': expected the ", what, ", got ",
             pos < bytes.size() ? "a non-digit" : "end of file");
    int64_t v = 0;
    while (pos < bytes.size() && std::isdigit(bytes[pos]) && v < (int64_t(1) << 40))
      v = v * 10 + (bytes[pos++] - '0');
    return v;
  };
  int64_t c = bytes[1] == '5' ? 1 : 3;
  int64_t w = next_int("width"), h = next_int("height"), maxval = next_int("maxval");
  SP_CHECK(w > 0 && h > 0 && w < (1 << 20) && h < (1 << 20), "read_image: corrupt PNM header in '",
           path, "': expected a positive size, got ", w, "x", h);
  check_size(path, w, h);
  SP_CHECK(maxval > 0 && maxval <= 65535, "read_image: unsupported PNM '", path,
           "': expected maxval in [1, 65535], got ", maxval);
  SP_CHECK(pos < bytes.size() && std::isspace(bytes[pos]), "read_image: corrupt PNM header in '",
           path, "': expected one whitespace after maxval, got ",
           pos < bytes.size() ? "another byte" : "end of file");
  ++pos;  // the single whitespace after maxval
  int64_t bps = maxval > 255 ? 2 : 1;
  size_t need = size_t(w * h * c * bps);
  SP_CHECK(pos + need <= bytes.size(), "read_image: truncated PNM '", path, "': expected ", need,
           " bytes of pixels, got ", bytes.size() > pos ? bytes.size() - pos : 0);
  const unsigned char* p = bytes.data() + pos;
  float scale = 1.0f / float(maxval);
  // Netpbm: no sample exceeds maxval (one that did would land outside [0, 1]).
  auto check_sample = [&](size_t i, int64_t v) {
    SP_CHECK(v <= maxval, "read_image: corrupt PNM '", path, "': expected samples <= maxval ",
             maxval, ", got ", v, " at sample ", i);
  };
  if (bps == 1) {
    if (maxval < 255)
      for (size_t i = 0; i < need; ++i) check_sample(i, p[i]);
    return planar_from_interleaved(p, h, w, c, c, scale);
  }
  std::vector<uint16_t> v(size_t(w * h * c));
  for (size_t i = 0; i < v.size(); ++i) {
    v[i] = uint16_t(p[2 * i] << 8 | p[2 * i + 1]);  // big-endian
    check_sample(i, v[i]);
  }
  return planar_from_interleaved(v.data(), h, w, c, c, scale);
}

// [C, H, W] or [H, W] f32 in [0, 1] -> interleaved u8.
std::vector<unsigned char> to_interleaved_u8(const Tensor& image, const char* what, int64_t& c,
                                             int64_t& h, int64_t& w) {
  check_defined(image, what);
  SP_CHECK(image.dim() == 2 || image.dim() == 3, what,
           ": expected an image [C, H, W] or [H, W], got ", image.shape());
  Tensor img = image.dim() == 2 ? image.unsqueeze(0) : image;
  img = img.to(DType::F32).cpu().contiguous();
  c = img.size(0), h = img.size(1), w = img.size(2);
  SP_CHECK(c == 1 || c == 3, what, ": expected 1 or 3 channels, got ", img.shape());
  const float* s = img.data<float>();
  std::vector<unsigned char> out(size_t(c * h * w));
  for (int64_t ch = 0; ch < c; ++ch)
    for (int64_t i = 0; i < h * w; ++i) {
      float v = std::clamp(s[ch * h * w + i], 0.0f, 1.0f);
      out[size_t(i * c + ch)] = (unsigned char)std::lround(v * 255.0f);
    }
  return out;
}

}  // namespace

Tensor read_image(const std::string& path, bool gray) {
  std::vector<unsigned char> bytes = read_bytes(path);
  SP_CHECK(bytes.size() >= 8, "read_image: expected an image file, got '", path, "' with only ",
           bytes.size(), " bytes");
  static const unsigned char png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  Tensor out;
  if (std::memcmp(bytes.data(), png_sig, 8) == 0) {
    out = read_png(path, bytes);
  } else if (bytes[0] == 0xFF && bytes[1] == 0xD8) {
    out = read_jpeg(path, bytes);
  } else if (bytes[0] == 'P' && (bytes[1] == '5' || bytes[1] == '6')) {
    out = read_pnm(path, bytes);
  } else {
    SP_FAIL("read_image: unsupported format in '", path,
            "': expected PNG, JPEG or binary PPM/PGM (P5/P6) magic bytes, got something else");
  }
  return gray ? rgb_to_gray(out) : out;
}

void write_png(const std::string& path, const Tensor& image) {
  int64_t c = 0, h = 0, w = 0;
  std::vector<unsigned char> px = to_interleaved_u8(image, "write_png", c, h, w);
  FILE* f = std::fopen(path.c_str(), "wb");
  SP_CHECK(f != nullptr, "write_png: expected a writable path, got '", path, "'");
  png_image img;
  std::memset(&img, 0, sizeof(img));
  img.version = PNG_IMAGE_VERSION;
  img.width = png_uint_32(w);
  img.height = png_uint_32(h);
  img.format = c == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
  int ok = png_image_write_to_stdio(&img, f, 0, px.data(), 0, nullptr);
  int closed = std::fclose(f);
  SP_CHECK(ok && closed == 0, "write_png: failed writing '", path, "': ", img.message);
}

void write_ppm(const std::string& path, const Tensor& image) {
  int64_t c = 0, h = 0, w = 0;
  std::vector<unsigned char> px = to_interleaved_u8(image, "write_ppm", c, h, w);
  std::ofstream out(path, std::ios::binary);
  SP_CHECK(out.good(), "write_ppm: expected a writable path, got '", path, "'");
  out << (c == 1 ? "P5" : "P6") << "\n" << w << " " << h << "\n255\n";
  out.write(reinterpret_cast<const char*>(px.data()), std::streamsize(px.size()));
  SP_CHECK(out.good(), "write_ppm: failed writing '", path, "'");
}

Tensor rgb_to_gray(const Tensor& image) {
  check_defined(image, "rgb_to_gray");
  SP_CHECK(image.dim() == 3 && (image.size(0) == 1 || image.size(0) == 3),
           "rgb_to_gray: expected [1 or 3, H, W], got ", image.shape());
  if (image.size(0) == 1) return image;
  Tensor img = image.to(DType::F32).cpu().contiguous();
  int64_t n = img.size(1) * img.size(2);
  Tensor out = empty({1, img.size(1), img.size(2)});
  const float* s = img.data<float>();
  float* o = out.data<float>();
  for (int64_t i = 0; i < n; ++i) o[i] = 0.299f * s[i] + 0.587f * s[n + i] + 0.114f * s[2 * n + i];
  return out;
}

}  // namespace sp::data

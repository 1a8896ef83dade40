// cv2.resize INTER_LINEAR / INTER_AREA on float planes, following OpenCV's coefficient
// tables (imgproc/src/resize.cpp) so results match cv2 on f32 images to float rounding.
#include <algorithm>
#include <cmath>
#include <vector>

#include "data/image_io.h"
#include "tensor/ops/creation.h"

namespace sp::data {
namespace {

// Two-tap interpolation table along one axis: out[d] = (1 - f) * in[i0] + f * in[i1].
struct Taps {
  std::vector<int64_t> i0, i1;
  std::vector<float> f;
};

Taps linear_taps(int64_t src, int64_t dst, bool area_style) {
  Taps t;
  double scale = double(src) / double(dst), inv_scale = double(dst) / double(src);
  for (int64_t d = 0; d < dst; ++d) {
    int64_t s;
    float f;
    if (area_style) {  // INTER_AREA when upscaling
      s = int64_t(std::floor(d * scale));
      f = float((d + 1) - (s + 1) * inv_scale);
      f = f <= 0 ? 0.f : f - std::floor(f);
    } else {
      float fx = float((d + 0.5) * scale - 0.5);
      s = int64_t(std::floor(fx));
      f = fx - float(s);
    }
    if (s < 0) s = 0, f = 0;
    if (s >= src - 1) s = src - 1, f = 0;
    t.i0.push_back(s);
    t.i1.push_back(std::min(s + 1, src - 1));
    t.f.push_back(f);
  }
  return t;
}

// OpenCV computeResizeAreaTab: (dst index, src index, weight) triples for downscaling.
struct AreaTab {
  std::vector<int64_t> start;  // per dst: first entry
  std::vector<int64_t> src;
  std::vector<float> w;
};

AreaTab area_tab(int64_t ssize, int64_t dsize) {
  double scale = double(ssize) / double(dsize);
  AreaTab t;
  for (int64_t dx = 0; dx < dsize; ++dx) {
    t.start.push_back(int64_t(t.src.size()));
    double fsx1 = dx * scale, fsx2 = fsx1 + scale;
    double cell = std::min(scale, double(ssize) - fsx1);
    int64_t sx1 = int64_t(std::ceil(fsx1)), sx2 = int64_t(std::floor(fsx2));
    sx2 = std::min(sx2, ssize - 1);
    sx1 = std::min(sx1, sx2);
    if (sx1 - fsx1 > 1e-3) t.src.push_back(sx1 - 1), t.w.push_back(float((sx1 - fsx1) / cell));
    for (int64_t sx = sx1; sx < sx2; ++sx) t.src.push_back(sx), t.w.push_back(float(1.0 / cell));
    if (fsx2 - sx2 > 1e-3)
      t.src.push_back(sx2), t.w.push_back(float(std::min(std::min(fsx2 - sx2, 1.0), cell) / cell));
  }
  t.start.push_back(int64_t(t.src.size()));
  return t;
}

void resize_area_down(const float* src, int64_t h, int64_t w, float* dst, int64_t oh, int64_t ow) {
  AreaTab tx = area_tab(w, ow), ty = area_tab(h, oh);
  std::vector<float> row(ow);
  for (int64_t dy = 0; dy < oh; ++dy) {
    std::vector<float> acc(ow, 0.f);
    for (int64_t k = ty.start[dy]; k < ty.start[dy + 1]; ++k) {
      const float* s = src + ty.src[k] * w;
      for (int64_t dx = 0; dx < ow; ++dx) {
        float sum = 0.f;
        for (int64_t j = tx.start[dx]; j < tx.start[dx + 1]; ++j) sum += s[tx.src[j]] * tx.w[j];
        acc[dx] += sum * ty.w[k];
      }
    }
    std::copy(acc.begin(), acc.end(), dst + dy * ow);
  }
}

}  // namespace

void resize_plane(const float* src, int64_t h, int64_t w, float* dst, int64_t oh, int64_t ow,
                  Interp interp) {
  if (interp == Interp::Area && h >= oh && w >= ow) {
    resize_area_down(src, h, w, dst, oh, ow);
    return;
  }
  bool area = interp == Interp::Area;
  Taps tx = linear_taps(w, ow, area), ty = linear_taps(h, oh, area);
  std::vector<float> r0(ow), r1(ow);
  auto hpass = [&](int64_t y, std::vector<float>& r) {
    const float* s = src + y * w;
    for (int64_t x = 0; x < ow; ++x) r[x] = s[tx.i0[x]] * (1.f - tx.f[x]) + s[tx.i1[x]] * tx.f[x];
  };
  for (int64_t y = 0; y < oh; ++y) {
    hpass(ty.i0[y], r0);
    hpass(ty.i1[y], r1);
    float b = ty.f[y];
    for (int64_t x = 0; x < ow; ++x) dst[y * ow + x] = r0[x] * (1.f - b) + r1[x] * b;
  }
}

Tensor resize(const Tensor& image, int64_t out_h, int64_t out_w, Interp interp) {
  check_defined(image, "resize");
  SP_CHECK(image.dim() == 2 || image.dim() == 3,
           "resize: expected an image [C, H, W] or [H, W], got ", image.shape());
  SP_CHECK(out_h > 0 && out_w > 0, "resize: expected a positive output size, got ", out_h, "x",
           out_w);
  Tensor img = (image.dim() == 2 ? image.unsqueeze(0) : image).to(DType::F32).cpu().contiguous();
  int64_t c = img.size(0), h = img.size(1), w = img.size(2);
  SP_CHECK(h > 0 && w > 0, "resize: expected a non-empty image, got ", image.shape());
  Tensor out = empty({c, out_h, out_w});
  for (int64_t ch = 0; ch < c; ++ch)
    resize_plane(img.data<float>() + ch * h * w, h, w, out.data<float>() + ch * out_h * out_w,
                 out_h, out_w, interp);
  return image.dim() == 2 ? out.squeeze(0) : out;
}

}  // namespace sp::data

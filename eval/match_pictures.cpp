#include "eval/match_pictures.h"

#include <algorithm>
#include <array>

#include "data/draw.h"
#include "tensor/check.h"
#include "tensor/ops/creation.h"

namespace sp::eval {

namespace {

using Rgb = std::array<float, 3>;  // 0..255, the rasterizer's units
constexpr Rgb kGreen{40, 220, 60}, kRed{235, 40, 40}, kBlue{60, 140, 255};

struct RgbCanvas {
  std::array<data::Canvas, 3> planes;
  RgbCanvas(int64_t h, int64_t w)
      : planes{data::Canvas(h, w, 255), data::Canvas(h, w, 255), data::Canvas(h, w, 255)} {}

  void paste(const Tensor& image, int64_t x0) {
    Tensor img = image.to(DType::F32).cpu().contiguous();
    const int64_t c = img.size(0), h = img.size(1), w = img.size(2);
    const float* p = img.data<float>();
    for (int ch = 0; ch < 3; ++ch)
      for (int64_t y = 0; y < h; ++y)
        for (int64_t x = 0; x < w; ++x)
          planes[size_t(ch)].at(y, x0 + x) =
              255.f * std::clamp(p[(std::min<int64_t>(ch, c - 1) * h + y) * w + x], 0.f, 1.f);
  }
  void line(data::Pt a, data::Pt b, const Rgb& color) {
    for (int ch = 0; ch < 3; ++ch)
      data::draw_line(planes[size_t(ch)], a, b, 1.0, color[size_t(ch)]);
  }
  void dot(data::Pt p, const Rgb& color) {
    for (int ch = 0; ch < 3; ++ch) data::fill_circle(planes[size_t(ch)], p, 1.5, color[size_t(ch)]);
  }
  Tensor tensor() const {
    const int64_t h = planes[0].height, w = planes[0].width;
    Tensor out = empty({3, h, w});
    float* o = out.data<float>();
    for (int ch = 0; ch < 3; ++ch)
      for (int64_t i = 0; i < h * w; ++i)
        o[ch * h * w + i] = planes[size_t(ch)].pixels[size_t(i)] / 255.f;
    return out;
  }
};

void check_image(const Tensor& image, const char* which) {
  SP_CHECK(image.defined() && image.dim() == 3 && (image.size(0) == 1 || image.size(0) == 3),
           "match_picture: expected ", which, " as [1 or 3, H, W], got ",
           image.defined() ? image.shape() : Shape{});
}

}  // namespace

Tensor match_picture(const Tensor& image1, const Tensor& image2, const Points2& keypoints1,
                     const Points2& keypoints2, const Points2& matched1, const Points2& matched2,
                     const std::vector<uint8_t>& correct) {
  check_image(image1, "image 1");
  check_image(image2, "image 2");
  SP_CHECK(matched1.rows() == matched2.rows() && size_t(matched1.rows()) == correct.size(),
           "match_picture: expected one correctness flag per match, got ", matched1.rows(), " and ",
           matched2.rows(), " match ends and ", correct.size(), " flags");
  const int64_t w1 = image1.size(2), offset = w1 + kMatchPictureGap;
  RgbCanvas canvas(std::max(image1.size(1), image2.size(1)), offset + image2.size(2));
  canvas.paste(image1, 0);
  canvas.paste(image2, offset);
  for (Eigen::Index i = 0; i < keypoints1.rows(); ++i)
    canvas.dot({keypoints1(i, 0), keypoints1(i, 1)}, kBlue);
  for (Eigen::Index i = 0; i < keypoints2.rows(); ++i)
    canvas.dot({keypoints2(i, 0) + double(offset), keypoints2(i, 1)}, kBlue);
  // Wrong matches first, so correct ones stay visible on top.
  for (int pass = 0; pass < 2; ++pass)
    for (Eigen::Index i = 0; i < matched1.rows(); ++i) {
      if (bool(correct[size_t(i)]) != bool(pass)) continue;
      canvas.line({matched1(i, 0), matched1(i, 1)},
                  {matched2(i, 0) + double(offset), matched2(i, 1)}, pass ? kGreen : kRed);
    }
  return canvas.tensor();
}

}  // namespace sp::eval

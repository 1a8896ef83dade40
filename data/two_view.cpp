#include "data/two_view.h"

#include <algorithm>
#include <cmath>

#include "data/image_io.h"
#include "tensor/ops/creation.h"

namespace sp::data {

void ResizeConfig::validate(const std::string& what) const {
  SP_CHECK(mode == "none" || mode == "long" || mode == "short" || mode == "exact", what,
           ": expected resize none, long, short or exact, got '", mode, "'");
  SP_CHECK((mode != "long" && mode != "short") || size > 0, what, ": expected a resize size > 0 ",
           "with resize ", mode, ", got ", size);
  SP_CHECK(mode != "exact" || (width > 0 && height > 0), what,
           ": expected a resize width and height > 0 with resize exact, got ", width, " x ",
           height);
  SP_CHECK(pad == "none" || pad == "square" || pad == "multiple", what,
           ": expected pad none, square or multiple, got '", pad, "'");
  SP_CHECK(pad != "square" || mode == "long", what,
           ": expected pad square with resize long (a size x size canvas), got resize ", mode);
  SP_CHECK(multiple >= 1, what, ": expected multiple >= 1, got ", multiple);
}

std::array<int64_t, 2> resized_size(int64_t width, int64_t height, const ResizeConfig& c) {
  if (c.mode == "exact") return {c.width, c.height};
  if (c.mode == "none") return {width, height};
  const double side = double(c.mode == "long" ? std::max(width, height) : std::min(width, height));
  const double s = double(c.size) / side;
  return {std::max<int64_t>(1, std::lround(double(width) * s)),
          std::max<int64_t>(1, std::lround(double(height) * s))};
}

Tensor pad_bottom_right(const Tensor& image, int64_t height, int64_t width) {
  const bool planar = image.dim() == 2;
  const Tensor img = planar ? image.unsqueeze(0) : image;
  const int64_t C = img.size(0), h = img.size(1), w = img.size(2);
  SP_CHECK(height >= h && width >= w, "pad_bottom_right: expected a canvas of at least ", h, " x ",
           w, ", got ", height, " x ", width);
  Tensor out = img;
  if (height != h || width != w) {
    out = zeros({C, height, width}, img.dtype());
    out.narrow(1, 0, h).narrow(2, 0, w).copy_(img);
  }
  return planar ? out.squeeze(0) : out;
}

Resized resize_image(const Tensor& image, const ResizeConfig& c) {
  SP_CHECK(image.dim() == 3, "resize_image: expected [C, H, W], got ", image.meta());
  const int64_t h = image.size(1), w = image.size(2);
  const auto [nw, nh] = resized_size(w, h, c);
  Resized r;
  r.width = nw;
  r.height = nh;
  r.sx = double(nw) / double(w);
  r.sy = double(nh) / double(h);
  r.image = (nw == w && nh == h)
                ? image.contiguous()
                : resize(image, nh, nw, (nw < w || nh < h) ? Interp::Area : Interp::Linear);
  int64_t ph = nh, pw = nw;
  if (c.pad == "square") ph = pw = std::max(c.size, std::max(nh, nw));
  if (c.pad == "multiple") {
    ph = (nh + c.multiple - 1) / c.multiple * c.multiple;
    pw = (nw + c.multiple - 1) / c.multiple * c.multiple;
  }
  r.image = pad_bottom_right(r.image, ph, pw);
  return r;
}

Tensor resize_depth(const Tensor& depth, int64_t width, int64_t height, int64_t padded_width,
                    int64_t padded_height) {
  SP_CHECK(depth.dim() == 2, "resize_depth: expected [H, W], got ", depth.meta());
  const int64_t h = depth.size(0), w = depth.size(1);
  Tensor src = depth.to(DType::F32).contiguous();
  Tensor out = src;
  if (h != height || w != width) {
    // Nearest (cv2 INTER_NEAREST): source index floor(dst * in / out).
    out = empty({height, width}, DType::F32);
    const float* s = src.data<float>();
    float* d = out.data<float>();
    for (int64_t y = 0; y < height; ++y) {
      const int64_t sy =
          std::min(h - 1, int64_t(std::floor(double(y) * double(h) / double(height))));
      for (int64_t x = 0; x < width; ++x) {
        const int64_t sxi =
            std::min(w - 1, int64_t(std::floor(double(x) * double(w) / double(width))));
        d[y * width + x] = s[sy * w + sxi];
      }
    }
  }
  return pad_bottom_right(out, padded_height, padded_width);
}

Mat3 scale_intrinsics(const Mat3& K, double sx, double sy) {
  Mat3 out = K;
  out(0, 0) *= sx;
  out(0, 1) *= sx;
  out(0, 2) = (K(0, 2) + 0.5) * sx - 0.5;
  out(1, 1) *= sy;
  out(1, 2) = (K(1, 2) + 0.5) * sy - 0.5;
  return out;
}

Tensor matrix_tensor(const Eigen::MatrixXd& m) {
  std::vector<float> v;
  for (int64_t r = 0; r < m.rows(); ++r)
    for (int64_t c = 0; c < m.cols(); ++c) v.push_back(float(m(r, c)));
  return from_vector(v, {m.rows(), m.cols()});
}

Eigen::MatrixXd tensor_matrix(const Tensor& t) {
  SP_CHECK(t.dim() == 2, "tensor_matrix: expected a matrix, got ", t.meta());
  const std::vector<double> v = t.cpu().to(DType::F64).contiguous().to_vector<double>();
  Eigen::MatrixXd m(t.size(0), t.size(1));
  for (int64_t r = 0; r < m.rows(); ++r)
    for (int64_t c = 0; c < m.cols(); ++c) m(r, c) = v[size_t(r * m.cols() + c)];
  return m;
}

}  // namespace sp::data

#include "data/homography.h"

#include <algorithm>
#include <cmath>

#include "tensor/ops/creation.h"

namespace sp::data {

using Corners = Eigen::Matrix<double, 4, 2>;  // rows are (x, y)

HomographyParams HomographyParams::synthetic_shapes() {
  HomographyParams p;
  p.scaling_amplitude = 0.2;
  p.perspective_amplitude_x = p.perspective_amplitude_y = 0.2;
  p.patch_ratio = 0.8;
  p.max_angle = 1.57;
  p.allow_artifacts = true;
  p.translation_overflow = 0.05;
  return p;
}

HomographyParams HomographyParams::warped_pair() {
  HomographyParams p = synthetic_shapes();
  p.patch_ratio = 0.85;
  p.translation_overflow = 0.0;
  return p;
}

HomographyParams HomographyParams::adaptation() {
  HomographyParams p = warped_pair();
  p.max_angle = 1.5707963267948966;
  return p;
}

void HomographyParams::validate() const {
  SP_CHECK(patch_ratio > 0 && patch_ratio <= 1, "homography: expected patch_ratio in (0, 1], got ",
           patch_ratio);
  SP_CHECK(n_scales >= 1 && n_angles >= 1, "homography: expected n_scales, n_angles >= 1, got ",
           n_scales, ", ", n_angles);
  SP_CHECK(scaling_amplitude >= 0 && perspective_amplitude_x >= 0 && perspective_amplitude_y >= 0 &&
               translation_overflow >= 0 && max_angle >= 0,
           "homography: expected non-negative amplitudes, max_angle and translation_overflow");
}

Mat3 perspective_transform(const Corners& src, const Corners& dst) {
  // 8x8 system a h = b, solved by Gaussian elimination with partial pivoting (plain loops:
  // Eigen's fixed-size LU trips a GCC 12 AVX-512 -Wuninitialized false positive).
  double a[8][9];
  for (int i = 0; i < 4; ++i) {
    double x = src(i, 0), y = src(i, 1), u = dst(i, 0), v = dst(i, 1);
    double r0[9] = {x, y, 1, 0, 0, 0, -x * u, -y * u, u};
    double r1[9] = {0, 0, 0, x, y, 1, -x * v, -y * v, v};
    std::copy(r0, r0 + 9, a[2 * i]);
    std::copy(r1, r1 + 9, a[2 * i + 1]);
  }
  for (int col = 0; col < 8; ++col) {
    int piv = col;
    for (int r = col + 1; r < 8; ++r)
      if (std::abs(a[r][col]) > std::abs(a[piv][col])) piv = r;
    SP_CHECK(std::abs(a[piv][col]) > 1e-14,
             "perspective_transform: expected 4 points in general position, got a "
             "degenerate configuration");
    std::swap(a[col], a[piv]);
    for (int r = 0; r < 8; ++r) {
      if (r == col) continue;
      double f = a[r][col] / a[col][col];
      for (int c = col; c < 9; ++c) a[r][c] -= f * a[col][c];
    }
  }
  double h[8];
  for (int i = 0; i < 8; ++i) h[i] = a[i][8] / a[i][i];
  Mat3 m;
  m << h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], 1.0;
  return m;
}

namespace {

bool inside_unit(const Corners& c) {
  return (c.array() >= 0.0).all() && (c.array() <= 1.0).all();
}

// Picks one candidate index uniformly among `valid`; falls back to `fallback` if none.
int pick(const std::vector<int>& valid, int fallback, Rng& rng) {
  if (valid.empty()) return fallback;
  return valid[size_t(rng.randint(int64_t(0), int64_t(valid.size())))];
}

}  // namespace

Mat3 sample_homography(const HomographyParams& p, Rng& rng) {
  p.validate();
  Corners pts1, pts2;
  pts1 << 0, 0, 0, 1, 1, 1, 1, 0;
  double pr = p.patch_ratio, margin = (1 - pr) / 2;
  pts2 << 0, 0, 0, pr, pr, pr, pr, 0;
  pts2.array() += margin;

  if (p.perspective) {
    double ax = p.perspective_amplitude_x, ay = p.perspective_amplitude_y;
    if (!p.allow_artifacts) ax = std::min(ax, margin), ay = std::min(ay, margin);
    double d = rng.truncated_normal(0, ay / 2), hl = rng.truncated_normal(0, ax / 2),
           hr = rng.truncated_normal(0, ax / 2);
    Corners delta;
    delta << hl, d, hl, -d, hr, d, hr, -d;
    pts2 += delta;
  }
  if (p.scaling) {
    std::vector<double> scales{1.0};
    for (int i = 0; i < p.n_scales; ++i)
      scales.push_back(rng.truncated_normal(1, p.scaling_amplitude / 2));
    Eigen::RowVector2d c = pts2.colwise().mean();
    std::vector<Corners> cand;
    std::vector<int> valid;
    for (size_t k = 0; k < scales.size(); ++k) {
      cand.push_back(((pts2.rowwise() - c) * scales[k]).rowwise() + c);
      bool ok = p.allow_artifacts ? k >= 1 : inside_unit(cand.back());
      if (ok) valid.push_back(int(k));
    }
    pts2 = cand[size_t(pick(valid, 0, rng))];
  }
  if (p.translation) {
    Eigen::RowVector2d t_min = pts2.colwise().minCoeff();
    Eigen::RowVector2d t_max = (1.0 - pts2.array()).matrix().colwise().minCoeff();
    if (p.allow_artifacts)
      t_min.array() += p.translation_overflow, t_max.array() += p.translation_overflow;
    double tx = rng.uniform(-t_min(0), t_max(0)), ty = rng.uniform(-t_min(1), t_max(1));
    pts2.col(0).array() += tx;
    pts2.col(1).array() += ty;
  }
  if (p.rotation) {
    std::vector<double> angles;
    for (int i = 0; i < p.n_angles; ++i)
      angles.push_back(p.n_angles == 1 ? -p.max_angle
                                       : -p.max_angle + 2 * p.max_angle * i / (p.n_angles - 1));
    angles.push_back(0.0);  // the identity, last (as [PS])
    Eigen::RowVector2d c = pts2.colwise().mean();
    std::vector<Corners> cand;
    std::vector<int> valid;
    for (size_t k = 0; k < angles.size(); ++k) {
      Eigen::Matrix2d r;
      r << std::cos(angles[k]), -std::sin(angles[k]), std::sin(angles[k]), std::cos(angles[k]);
      cand.push_back(((pts2.rowwise() - c) * r).rowwise() + c);
      bool ok = p.allow_artifacts ? k < size_t(p.n_angles) : inside_unit(cand.back());
      if (ok) valid.push_back(int(k));
    }
    pts2 = cand[size_t(pick(valid, int(angles.size()) - 1, rng))];
  }
  // Unit square -> normalized [-1, 1] (shape [2, 2], shift -1).
  pts1 = (pts1.array() * 2.0 - 1.0).matrix();
  pts2 = (pts2.array() * 2.0 - 1.0).matrix();
  return perspective_transform(pts1, pts2);
}

static Mat3 pixel_to_normalized_frame(int64_t height, int64_t width) {
  SP_CHECK(height >= 2 && width >= 2, "homography: expected an image of at least 2x2 pixels, got ",
           height, "x", width);
  Mat3 a;
  a << 2.0 / double(width - 1), 0, -1, 0, 2.0 / double(height - 1), -1, 0, 0, 1;
  return a;
}

Mat3 normalized_to_pixel(const Mat3& h, int64_t height, int64_t width) {
  Mat3 a = pixel_to_normalized_frame(height, width);
  return a.inverse() * h * a;
}

Mat3 pixel_to_normalized(const Mat3& h, int64_t height, int64_t width) {
  Mat3 a = pixel_to_normalized_frame(height, width);
  return a * h * a.inverse();
}

Tensor warp_points(const Tensor& points, const Mat3& h) {
  check_defined(points, "warp_points");
  SP_CHECK(points.dim() == 2 && points.size(1) == 2,
           "warp_points: expected points [N, 2] (x, y), got ", points.shape());
  Tensor p = points.to(DType::F32).cpu().contiguous();
  Tensor out = empty({p.size(0), 2});
  const float* s = p.data<float>();
  float* o = out.data<float>();
  for (int64_t i = 0; i < p.size(0); ++i) {
    Eigen::Vector3d q = h * Eigen::Vector3d(s[2 * i], s[2 * i + 1], 1.0);
    o[2 * i] = float(q(0) / q(2));
    o[2 * i + 1] = float(q(1) / q(2));
  }
  return out;
}

Tensor filter_points(const Tensor& points, int64_t height, int64_t width) {
  SP_CHECK(points.dim() == 2 && points.size(1) == 2,
           "filter_points: expected points [N, 2] (x, y), got ", points.shape());
  Tensor p = points.to(DType::F32).cpu().contiguous();
  std::vector<float> kept;
  const float* s = p.data<float>();
  for (int64_t i = 0; i < p.size(0); ++i) {
    float x = s[2 * i], y = s[2 * i + 1];
    if (x >= 0 && x <= float(width - 1) && y >= 0 && y <= float(height - 1))
      kept.push_back(x), kept.push_back(y);
  }
  return from_vector(kept, {int64_t(kept.size() / 2), 2});
}

Tensor warp_image(const Tensor& image, const std::vector<Mat3>& h_pixel, Sampling sampling) {
  check_defined(image, "warp_image");
  SP_CHECK(image.dim() == 3, "warp_image: expected an image [C, H, W], got ", image.shape());
  Tensor img = image.to(DType::F32).cpu().contiguous();
  int64_t c = img.size(0), h = img.size(1), w = img.size(2), n = int64_t(h_pixel.size());
  Tensor out = zeros({n, c, h, w});
  const float* src = img.data<float>();
  float* dst = out.data<float>();
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t k = 0; k < n; ++k) {
    for (int64_t y = 0; y < h; ++y) {
      const Mat3& m = h_pixel[size_t(k)];
      for (int64_t x = 0; x < w; ++x) {
        double zx = m(0, 0) * x + m(0, 1) * y + m(0, 2), zy = m(1, 0) * x + m(1, 1) * y + m(1, 2),
               zz = m(2, 0) * x + m(2, 1) * y + m(2, 2);
        double sx = zx / zz, sy = zy / zz;
        float* o = dst + (k * c * h + y) * w + x;
        if (!std::isfinite(sx) || !std::isfinite(sy)) continue;
        if (sampling == Sampling::Nearest) {
          double rx = std::nearbyint(sx), ry = std::nearbyint(sy);
          if (rx < 0 || ry < 0 || rx > double(w - 1) || ry > double(h - 1)) continue;
          int64_t ix = int64_t(rx), iy = int64_t(ry);
          for (int64_t ch = 0; ch < c; ++ch) o[ch * h * w] = src[(ch * h + iy) * w + ix];
          continue;
        }
        if (sx <= -1 || sy <= -1 || sx >= double(w) || sy >= double(h)) continue;
        int64_t x0 = int64_t(std::floor(sx)), y0 = int64_t(std::floor(sy));
        float fx = float(sx - double(x0)), fy = float(sy - double(y0));
        float wts[4] = {(1 - fx) * (1 - fy), fx * (1 - fy), (1 - fx) * fy, fx * fy};
        int64_t xs[4] = {x0, x0 + 1, x0, x0 + 1}, ys[4] = {y0, y0, y0 + 1, y0 + 1};
        for (int64_t ch = 0; ch < c; ++ch) {
          float acc = 0;
          for (int t = 0; t < 4; ++t)
            if (xs[t] >= 0 && xs[t] < w && ys[t] >= 0 && ys[t] < h)
              acc += wts[t] * src[(ch * h + ys[t]) * w + xs[t]];
          o[ch * h * w] = acc;
        }
      }
    }
  }
  return out;
}

std::vector<uint8_t> ellipse_element(int size) {
  std::vector<uint8_t> k(size_t(size * size), 0);
  int r = size / 2, c = size / 2;
  double inv_r2 = r ? 1.0 / (double(r) * r) : 0;
  for (int i = 0; i < size; ++i) {
    int dy = i - r;
    if (std::abs(dy) > r) continue;
    int dx = int(std::lround(c * std::sqrt((r * r - dy * dy) * inv_r2)));
    int j1 = std::max(c - dx, 0), j2 = std::min(c + dx + 1, size);
    for (int j = j1; j < j2; ++j) k[size_t(i * size + j)] = 1;
  }
  return k;
}

void erode_plane(float* plane, int64_t h, int64_t w, int radius) {
  if (radius <= 0) return;
  int size = 2 * radius;
  std::vector<uint8_t> k = ellipse_element(size);
  std::vector<float> in(plane, plane + h * w);
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x) {
      float m = in[size_t(y * w + x)];
      for (int i = 0; i < size && m > 0; ++i)
        for (int j = 0; j < size; ++j) {
          if (!k[size_t(i * size + j)]) continue;
          int64_t yy = y + i - radius, xx = x + j - radius;
          if (yy < 0 || xx < 0 || yy >= h || xx >= w) continue;  // outside: +inf
          m = std::min(m, in[size_t(yy * w + xx)]);
        }
      plane[y * w + x] = m;
    }
}

Tensor valid_masks(int64_t height, int64_t width, const std::vector<Mat3>& h_pixel,
                   int erosion_radius) {
  SP_CHECK(erosion_radius >= 0, "valid_masks: expected erosion_radius >= 0, got ", erosion_radius);
  Tensor masks = warp_image(ones({1, height, width}), h_pixel, Sampling::Nearest);
  for (int64_t k = 0; k < int64_t(h_pixel.size()); ++k)
    erode_plane(masks.data<float>() + k * height * width, height, width, erosion_radius);
  return masks;
}

}  // namespace sp::data

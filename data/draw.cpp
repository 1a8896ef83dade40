#include "data/draw.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace sp::data {

double Canvas::mean() const {
  double s = 0;
  for (float v : pixels) s += v;
  return pixels.empty() ? 0.0 : s / double(pixels.size());
}

namespace {

// Calls paint(y, x0, x1) for every covered span [x0, x1] of each row.
template <typename Paint>
void scan_polygon(int64_t h, int64_t w, const std::vector<Pt>& poly, Paint paint) {
  if (poly.size() < 3) return;
  double ymin = poly[0].y, ymax = poly[0].y;
  for (const Pt& p : poly) ymin = std::min(ymin, p.y), ymax = std::max(ymax, p.y);
  int64_t y0 = std::max<int64_t>(0, int64_t(std::ceil(ymin))),
          y1 = std::min<int64_t>(h - 1, int64_t(std::floor(ymax)));
  std::vector<double> xs;
  for (int64_t y = y0; y <= y1; ++y) {
    xs.clear();
    double yc = double(y);
    for (size_t i = 0; i < poly.size(); ++i) {
      Pt a = poly[i], b = poly[(i + 1) % poly.size()];
      if ((a.y <= yc && b.y > yc) || (b.y <= yc && a.y > yc))
        xs.push_back(a.x + (yc - a.y) * (b.x - a.x) / (b.y - a.y));
    }
    std::sort(xs.begin(), xs.end());
    for (size_t i = 0; i + 1 < xs.size(); i += 2) {
      int64_t xa = std::max<int64_t>(0, int64_t(std::ceil(xs[i] - 0.5))),
              xb = std::min<int64_t>(w - 1, int64_t(std::floor(xs[i + 1] + 0.5)));
      if (xa <= xb) paint(y, xa, xb);
    }
  }
}

}  // namespace

void fill_polygon(Canvas& c, const std::vector<Pt>& poly, float value) {
  scan_polygon(c.height, c.width, poly, [&](int64_t y, int64_t x0, int64_t x1) {
    std::fill(c.pixels.begin() + y * c.width + x0, c.pixels.begin() + y * c.width + x1 + 1, value);
  });
}

void fill_polygon_from(Canvas& c, const std::vector<Pt>& poly, const Canvas& texture) {
  scan_polygon(c.height, c.width, poly, [&](int64_t y, int64_t x0, int64_t x1) {
    std::copy(texture.pixels.begin() + y * c.width + x0,
              texture.pixels.begin() + y * c.width + x1 + 1, c.pixels.begin() + y * c.width + x0);
  });
}

void draw_line(Canvas& c, Pt a, Pt b, double thickness, float value) {
  double r = std::max(thickness, 1.0) / 2.0;
  int64_t x0 = std::max<int64_t>(0, int64_t(std::floor(std::min(a.x, b.x) - r))),
          x1 = std::min<int64_t>(c.width - 1, int64_t(std::ceil(std::max(a.x, b.x) + r))),
          y0 = std::max<int64_t>(0, int64_t(std::floor(std::min(a.y, b.y) - r))),
          y1 = std::min<int64_t>(c.height - 1, int64_t(std::ceil(std::max(a.y, b.y) + r)));
  double dx = b.x - a.x, dy = b.y - a.y, len2 = dx * dx + dy * dy, r2 = r * r;
  for (int64_t y = y0; y <= y1; ++y)
    for (int64_t x = x0; x <= x1; ++x) {
      double t = len2 > 0 ? std::clamp(((x - a.x) * dx + (y - a.y) * dy) / len2, 0.0, 1.0) : 0.0;
      double ex = a.x + t * dx - x, ey = a.y + t * dy - y;
      if (ex * ex + ey * ey <= r2) c.at(y, x) = value;
    }
}

void fill_ellipse(Canvas& c, Pt center, double ax, double ay, double angle_deg, float value) {
  double th = angle_deg * M_PI / 180.0, cs = std::cos(th), sn = std::sin(th);
  double r = std::max(ax, ay);
  int64_t x0 = std::max<int64_t>(0, int64_t(std::floor(center.x - r))),
          x1 = std::min<int64_t>(c.width - 1, int64_t(std::ceil(center.x + r))),
          y0 = std::max<int64_t>(0, int64_t(std::floor(center.y - r))),
          y1 = std::min<int64_t>(c.height - 1, int64_t(std::ceil(center.y + r)));
  double ia = 1.0 / std::max(ax, 0.5), ib = 1.0 / std::max(ay, 0.5);
  for (int64_t y = y0; y <= y1; ++y)
    for (int64_t x = x0; x <= x1; ++x) {
      double px = x - center.x, py = y - center.y;
      double u = (px * cs + py * sn) * ia, v = (-px * sn + py * cs) * ib;
      if (u * u + v * v <= 1.0) c.at(y, x) = value;
    }
}

void fill_circle(Canvas& c, Pt center, double radius, float value) {
  fill_ellipse(c, center, radius, radius, 0.0, value);
}

int64_t reflect101(int64_t i, int64_t n) {
  if (i >= 0 && i < n) return i;
  if (n == 1) return 0;
  int64_t period = 2 * (n - 1);
  i %= period;
  if (i < 0) i += period;
  return i < n ? i : period - i;
}

namespace {

// Horizontal pass: each row is padded once (reflect-101), then filtered.
void convolve_rows(Canvas& c, const std::vector<float>& kernel) {
  int64_t n = c.width, k = int64_t(kernel.size()), anchor = k / 2;
#pragma omp parallel for schedule(static)
  for (int64_t y = 0; y < c.height; ++y) {
    std::vector<float> line(size_t(n + k - 1));
    float* row = c.pixels.data() + y * n;
    for (int64_t i = 0; i < n + k - 1; ++i) line[size_t(i)] = row[reflect101(i - anchor, n)];
    std::fill(row, row + n, 0.0f);
    for (int64_t j = 0; j < k; ++j) {  // tap-outer so the inner loop vectorizes over x
      float kj = kernel[size_t(j)];
      const float* l = line.data() + j;
      for (int64_t i = 0; i < n; ++i) row[i] += kj * l[i];
    }
  }
}

// Vertical pass as weighted sums of whole rows (cache friendly, vectorizes over x).
void convolve_cols(Canvas& c, const std::vector<float>& kernel) {
  int64_t h = c.height, w = c.width, k = int64_t(kernel.size()), anchor = k / 2;
  std::vector<float> out(c.pixels.size(), 0.0f);
#pragma omp parallel for schedule(static)
  for (int64_t y = 0; y < h; ++y) {
    float* o = out.data() + y * w;
    for (int64_t j = 0; j < k; ++j) {
      const float* r = c.pixels.data() + reflect101(y + j - anchor, h) * w;
      float kj = kernel[size_t(j)];
      for (int64_t x = 0; x < w; ++x) o[x] += kj * r[x];
    }
  }
  c.pixels.swap(out);
}

void box_rows(Canvas& c, int64_t k) {
  int64_t n = c.width, anchor = k / 2;
#pragma omp parallel for schedule(static)
  for (int64_t y = 0; y < c.height; ++y) {
    float* row = c.pixels.data() + y * n;
    std::vector<double> line(size_t(n + k));
    for (int64_t i = 0; i < n + k; ++i) line[size_t(i)] = row[reflect101(i - anchor, n)];
    double sum = 0;
    for (int64_t j = 0; j < k; ++j) sum += line[size_t(j)];
    for (int64_t i = 0; i < n; ++i) {
      row[i] = float(sum / double(k));
      sum += line[size_t(i + k)] - line[size_t(i)];
    }
  }
}

void box_cols(Canvas& c, int64_t k) {
  int64_t h = c.height, w = c.width, anchor = k / 2;
  std::vector<double> sum(size_t(w), 0.0);
  std::vector<float> out(c.pixels.size());
  auto row = [&](int64_t i) { return c.pixels.data() + reflect101(i, h) * w; };
  for (int64_t j = -anchor; j < k - anchor; ++j) {
    const float* r = row(j);
    for (int64_t x = 0; x < w; ++x) sum[size_t(x)] += r[x];
  }
  for (int64_t y = 0; y < h; ++y) {
    float* o = out.data() + y * w;
    const float* add = row(y + k - anchor);
    const float* sub = row(y - anchor);
    for (int64_t x = 0; x < w; ++x) {
      o[x] = float(sum[size_t(x)] / double(k));
      sum[size_t(x)] += double(add[x]) - double(sub[x]);
    }
  }
  c.pixels.swap(out);
}

}  // namespace

void box_blur(Canvas& c, int k) {
  if (k <= 1 || c.pixels.empty()) return;
  box_rows(c, k);
  box_cols(c, k);
}

void gaussian_blur(Canvas& c, int k, double sigma) {
  if (k <= 1 || c.pixels.empty()) return;
  if (sigma <= 0) sigma = 0.3 * ((k - 1) * 0.5 - 1) + 0.8;
  std::vector<float> kernel(static_cast<size_t>(k));
  double sum = 0;
  for (int i = 0; i < k; ++i) {
    double d = i - (k - 1) / 2.0;
    kernel[size_t(i)] = float(std::exp(-d * d / (2 * sigma * sigma)));
    sum += kernel[size_t(i)];
  }
  for (float& v : kernel) v = float(v / sum);
  convolve_rows(c, kernel);
  convolve_cols(c, kernel);
}

}  // namespace sp::data

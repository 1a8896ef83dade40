// The nine Synthetic Shapes primitives and the background (spec 1.2-1.3), drawn with
// data/draw.h on a 0..255 canvas. randint(a, b) is half-open with float bounds
// truncated, as legacy NumPy.
#include <Eigen/Dense>
#include <algorithm>
#include <cmath>

#include "data/homography.h"
#include "data/synthetic_shapes.h"

namespace sp::data {
namespace {

int get_random_color(double bg, Rng& rng) {
  int c = int(rng.randint(int64_t(0), int64_t(256)));
  if (std::abs(c - int(bg)) < 30) c = (c + 128) % 256;
  return c;
}

int get_different_color(const std::vector<int>& prev, Rng& rng, int min_dist = 50,
                        int max_count = 20) {
  int c = int(rng.randint(int64_t(0), int64_t(256)));
  for (int count = 0; count < max_count; ++count) {
    bool close = false;
    for (int p : prev) close |= std::abs(p - c) < min_dist;
    if (!close) break;
    c = int(rng.randint(int64_t(0), int64_t(256)));
  }
  return c;
}

bool ccw(Pt a, Pt b, Pt c) {
  return (c.y - a.y) * (b.x - a.x) > (b.y - a.y) * (c.x - a.x);
}
bool intersect(Pt a, Pt b, Pt c, Pt d) {
  return ccw(a, c, d) != ccw(b, c, d) && ccw(a, b, c) != ccw(a, b, d);
}

double angle_between(Pt u, Pt v) {
  double nu = std::hypot(u.x, u.y), nv = std::hypot(v.x, v.y);
  if (nu == 0 || nv == 0) return 0;
  return std::acos(std::clamp((u.x * v.x + u.y * v.y) / (nu * nv), -1.0, 1.0));
}

// Random polygon vertices around (cx, cy) (spec 1.3 "Polygon"), after the coincident
// and flat-angle filters; may return fewer than 3.
std::vector<Pt> polygon_vertices(int corners, double cx, double cy, double rad, Rng& rng) {
  std::vector<Pt> pts;
  for (int i = 0; i < corners; ++i) {
    double a0 = 2 * M_PI * i / corners, a1 = 2 * M_PI * (i + 1) / corners;
    double a = a0 + rng.uniform() * (a1 - a0);
    double u1 = std::max(rng.uniform(), 0.4), u2 = std::max(rng.uniform(), 0.4);
    pts.push_back({double(int64_t(cx + u1 * rad * std::cos(a))),
                   double(int64_t(cy + u2 * rad * std::sin(a)))});
  }
  std::vector<Pt> kept;
  size_t n = pts.size();
  for (size_t i = 0; i < n; ++i) {
    Pt p = pts[(i + n - 1) % n], q = pts[i];
    if (std::hypot(p.x - q.x, p.y - q.y) > 0.01) kept.push_back(q);
  }
  std::vector<Pt> out;
  n = kept.size();
  for (size_t i = 0; i < n; ++i) {
    Pt p = kept[(i + n - 1) % n], q = kept[i], r = kept[(i + 1) % n];
    if (angle_between({p.x - q.x, p.y - q.y}, {r.x - q.x, r.y - q.y}) < 2 * M_PI / 3)
      out.push_back(q);
  }
  return out;
}

Canvas custom_background(int64_t h, int64_t w, double bg, Rng& rng) {
  Canvas c(h, w, float(get_random_color(bg, rng)));
  for (int i = 0; i < 3000; ++i) {
    Pt center{double(rng.randint(int64_t(0), w)), double(rng.randint(int64_t(0), h))};
    fill_circle(c, center, double(rng.randint(int64_t(0), int64_t(20))),
                float(get_random_color(bg, rng)));
  }
  box_blur(c, int(rng.randint(int64_t(50), int64_t(100))));
  return c;
}

// Random affine then perspective warp of points (checkerboard and stripes, spec 1.3).
std::vector<Pt> random_board_warp(const std::vector<Pt>& pts, int64_t h, int64_t w, double p0,
                                  double p1, Rng& rng) {
  double alpha = double(std::max(h, w)) * (p0 + rng.uniform() * p1);
  double cx = double(w / 2), cy = double(h / 2), sq = double(std::min(h, w) / 3);
  Eigen::Matrix<double, 4, 2> a, b;
  a << cx + sq, cy + sq, cx + sq, cy - sq, cx - sq, cy - sq, cx - sq, cy + sq;
  Eigen::Matrix<double, 4, 2> jitter;
  for (int i = 0; i < 8; ++i) jitter(i / 2, i % 2) = rng.uniform(-alpha, alpha);
  b = a + jitter;
  Eigen::Matrix3d src, dst = Eigen::Matrix3d::Identity();
  for (int i = 0; i < 3; ++i) src.col(i) << a(i, 0), a(i, 1), 1, dst.col(i) << b(i, 0), b(i, 1), 1;
  Eigen::Matrix3d affine = dst * src.inverse();
  for (int i = 0; i < 8; ++i) jitter(i / 2, i % 2) = rng.uniform(-alpha / 2, alpha / 2);
  Mat3 persp = perspective_transform(a, a + jitter);
  std::vector<Pt> out;
  for (const Pt& p : pts) {
    Eigen::Vector3d q = persp * (affine * Eigen::Vector3d(p.x, p.y, 1.0));
    out.push_back({double(int64_t(q(0) / q(2))), double(int64_t(q(1) / q(2)))});
  }
  return out;
}

std::vector<Pt> inside(const std::vector<Pt>& pts, const Canvas& c) {
  std::vector<Pt> out;
  for (const Pt& p : pts)
    if (p.x >= 0 && p.y >= 0 && p.x < double(c.width) && p.y < double(c.height)) out.push_back(p);
  return out;
}

std::vector<Pt> draw_lines(Canvas& c, Rng& rng) {
  double bg = c.mean(), min_dim = double(std::min(c.height, c.width));
  int64_t n = rng.randint(int64_t(1), int64_t(10));
  std::vector<std::pair<Pt, Pt>> segs;
  std::vector<Pt> pts;
  for (int64_t i = 0; i < n; ++i) {
    Pt a{double(rng.randint(int64_t(0), c.width)), double(rng.randint(int64_t(0), c.height))};
    Pt b{double(rng.randint(int64_t(0), c.width)), double(rng.randint(int64_t(0), c.height))};
    bool crosses = false;
    for (auto& s : segs) crosses |= intersect(a, b, s.first, s.second);
    if (crosses) continue;
    segs.push_back({a, b});
    int color = get_random_color(bg, rng);
    double thickness = double(rng.randint(min_dim * 0.01, min_dim * 0.02));
    draw_line(c, a, b, thickness, float(color));
    pts.push_back(a), pts.push_back(b);
  }
  return pts;
}

std::vector<Pt> draw_polygon(Canvas& c, Rng& rng) {
  double min_dim = double(std::min(c.height, c.width));
  for (;;) {
    int corners = int(rng.randint(int64_t(3), int64_t(8)));
    double rad = std::max(rng.uniform() * min_dim / 2, min_dim / 10);
    double x = double(rng.randint(rad, double(c.width) - rad)),
           y = double(rng.randint(rad, double(c.height) - rad));
    std::vector<Pt> pts = polygon_vertices(corners, x, y, rad, rng);
    if (pts.size() < 3) continue;  // the reference retries
    fill_polygon(c, pts, float(get_random_color(c.mean(), rng)));
    return pts;
  }
}

std::vector<Pt> draw_multiple_polygons(Canvas& c, Rng& rng) {
  double min_dim = double(std::min(c.height, c.width));
  Canvas texture = custom_background(c.height, c.width, c.mean(), rng);
  std::vector<std::pair<Pt, Pt>> segs;
  std::vector<Pt> centers, pts;
  std::vector<double> rads;
  for (int i = 0; i < 30; ++i) {
    int corners = int(rng.randint(int64_t(3), int64_t(8)));
    double rad = std::max(rng.uniform() * min_dim / 2, min_dim / 10);
    double x = double(rng.randint(rad, double(c.width) - rad)),
           y = double(rng.randint(rad, double(c.height) - rad));
    std::vector<Pt> poly = polygon_vertices(corners, x, y, rad, rng);
    if (poly.size() < 3) continue;
    bool reject = false;
    for (size_t k = 0; k < poly.size() && !reject; ++k)
      for (auto& s : segs)
        reject |= intersect(poly[k], poly[(k + 1) % poly.size()], s.first, s.second);
    for (size_t k = 0; k < centers.size() && !reject; ++k)
      reject |= std::hypot(x - centers[k].x, y - centers[k].y) + std::min(rad, rads[k]) <
                std::max(rad, rads[k]);
    if (reject) continue;
    centers.push_back({x, y});
    rads.push_back(rad);
    for (size_t k = 0; k < poly.size(); ++k) segs.push_back({poly[k], poly[(k + 1) % poly.size()]});
    fill_polygon_from(c, poly, texture);
    pts.insert(pts.end(), poly.begin(), poly.end());
  }
  return pts;
}

std::vector<Pt> draw_ellipses(Canvas& c, Rng& rng) {
  double bg = c.mean(), m = double(std::min(c.height, c.width)) / 4;
  std::vector<Pt> centers;
  std::vector<double> rads;
  for (int i = 0; i < 20; ++i) {
    double ax = double(int64_t(std::max(rng.uniform() * m, m / 5))),
           ay = double(int64_t(std::max(rng.uniform() * m, m / 5)));
    double r = std::max(ax, ay);
    Pt ctr{double(rng.randint(r, double(c.width) - r)),
           double(rng.randint(r, double(c.height) - r))};
    bool reject = false;
    for (size_t k = 0; k < centers.size(); ++k)
      reject |= r > std::hypot(ctr.x - centers[k].x, ctr.y - centers[k].y) - rads[k];
    if (reject) continue;
    centers.push_back(ctr);
    rads.push_back(r);
    int color = get_random_color(bg, rng);
    fill_ellipse(c, ctr, ax, ay, rng.uniform() * 90, float(color));
  }
  return {};
}

std::vector<Pt> draw_star(Canvas& c, Rng& rng) {
  double bg = c.mean(), min_dim = double(std::min(c.height, c.width));
  int branches = int(rng.randint(int64_t(3), int64_t(6)));
  double thickness = double(rng.randint(min_dim * 0.01, min_dim * 0.02));
  double rad = std::max(rng.uniform() * min_dim / 2, min_dim / 5);
  double x = double(rng.randint(rad, double(c.width) - rad)),
         y = double(rng.randint(rad, double(c.height) - rad));
  std::vector<Pt> pts{{x, y}};
  for (int i = 0; i < branches; ++i) {
    double a0 = 2 * M_PI * i / branches, a1 = 2 * M_PI * (i + 1) / branches;
    double a = a0 + rng.uniform() * (a1 - a0);
    double u1 = std::max(rng.uniform(), 0.3), u2 = std::max(rng.uniform(), 0.3);
    pts.push_back(
        {double(int64_t(x + u1 * rad * std::cos(a))), double(int64_t(y + u2 * rad * std::sin(a)))});
  }
  for (int i = 1; i <= branches; ++i)
    draw_line(c, pts[0], pts[size_t(i)], thickness, float(get_random_color(bg, rng)));
  return inside(pts, c);
}

std::vector<Pt> draw_checkerboard(Canvas& c, Rng& rng) {
  double bg = c.mean(), min_dim = double(std::min(c.height, c.width));
  int64_t rows = rng.randint(int64_t(3), int64_t(7)), cols = rng.randint(int64_t(3), int64_t(7));
  double s = double(std::min((c.width - 1) / cols, (c.height - 1) / rows));
  std::vector<Pt> grid;
  for (int64_t j = 0; j <= rows; ++j)
    for (int64_t i = 0; i <= cols; ++i) grid.push_back({s * double(i), s * double(j)});
  std::vector<Pt> pts = random_board_warp(grid, c.height, c.width, 0.05, 0.15, rng);
  auto at = [&](int64_t r, int64_t q) { return pts[size_t(r * (cols + 1) + q)]; };
  std::vector<int> colors(size_t(rows * cols));
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t q = 0; q < cols; ++q) {
      int color;
      if (r == 0 && q == 0) {
        color = get_random_color(bg, rng);
      } else {
        std::vector<int> prev;
        if (r > 0) prev.push_back(colors[size_t((r - 1) * cols + q)]);
        if (q > 0) prev.push_back(colors[size_t(r * cols + q - 1)]);
        color = get_different_color(prev, rng);
      }
      colors[size_t(r * cols + q)] = color;
      fill_polygon(c, {at(r, q), at(r, q + 1), at(r + 1, q + 1), at(r + 1, q)}, float(color));
    }
  int64_t nb_rows = rng.randint(int64_t(2), rows + 2), nb_cols = rng.randint(int64_t(2), cols + 2);
  double thickness = double(rng.randint(min_dim * 0.01, min_dim * 0.015));
  for (int64_t k = 0; k < nb_rows; ++k) {
    int64_t r = rng.randint(int64_t(0), rows + 1), q1 = rng.randint(int64_t(0), cols + 1),
            q2 = rng.randint(int64_t(0), cols + 1);
    draw_line(c, at(r, q1), at(r, q2), thickness, float(get_random_color(bg, rng)));
  }
  for (int64_t k = 0; k < nb_cols; ++k) {
    int64_t q = rng.randint(int64_t(0), cols + 1), r1 = rng.randint(int64_t(0), rows + 1),
            r2 = rng.randint(int64_t(0), rows + 1);
    draw_line(c, at(r1, q), at(r2, q), thickness, float(get_random_color(bg, rng)));
  }
  return inside(pts, c);
}

std::vector<Pt> draw_stripes(Canvas& c, Rng& rng) {
  double bg = c.mean(), min_dim = double(std::min(c.height, c.width));
  int64_t board_h = int64_t(double(c.height) * (1 + rng.uniform())),
          board_w = int64_t(double(c.width) * (1 + rng.uniform()));
  int64_t col = rng.randint(int64_t(5), int64_t(13));
  std::vector<int64_t> xs{0, board_w - 1};
  for (int64_t i = 0; i < col - 1; ++i) xs.push_back(int64_t(double(board_w) * rng.uniform()));
  std::sort(xs.begin(), xs.end());
  xs.erase(std::unique(xs.begin(), xs.end()), xs.end());
  double min_width = min_dim * 0.04;
  std::vector<int64_t> kept;
  for (size_t i = 0; i < xs.size(); ++i) {
    double next = i + 1 < xs.size() ? double(xs[i + 1]) : double(board_w) + min_width;
    if (next - double(xs[i]) >= min_width) kept.push_back(xs[i]);
  }
  col = int64_t(kept.size()) - 1;
  if (col < 1) return {};
  std::vector<Pt> board;
  for (int64_t x : kept) board.push_back({double(x), 0.0});
  for (int64_t x : kept) board.push_back({double(x), double(board_h - 1)});
  std::vector<Pt> pts = random_board_warp(board, c.height, c.width, 0.1, 0.1, rng);
  int color = get_random_color(bg, rng);
  for (int64_t i = 0; i < col; ++i) {
    color = int((color + 128 + rng.randint(int64_t(-30), int64_t(30))) % 256);
    fill_polygon(
        c, {pts[size_t(i)], pts[size_t(i + 1)], pts[size_t(i + col + 2)], pts[size_t(i + col + 1)]},
        float(color));
  }
  int64_t nb_rows = rng.randint(int64_t(2), int64_t(5)), nb_cols = rng.randint(int64_t(2), col + 2);
  double thickness = double(rng.randint(min_dim * 0.01, min_dim * 0.015));
  for (int64_t k = 0; k < nb_rows; ++k) {
    int64_t row = rng.uniform() < 0.5 ? 0 : col + 1;
    int64_t q1 = rng.randint(int64_t(0), col + 1), q2 = rng.randint(int64_t(0), col + 1);
    draw_line(c, pts[size_t(row + q1)], pts[size_t(row + q2)], thickness,
              float(get_random_color(bg, rng)));
  }
  for (int64_t k = 0; k < nb_cols; ++k) {
    int64_t q = rng.randint(int64_t(0), col + 1);
    draw_line(c, pts[size_t(q)], pts[size_t(q + col + 1)], thickness,
              float(get_random_color(bg, rng)));
  }
  return inside(pts, c);
}

std::vector<Pt> draw_cube(Canvas& c, Rng& rng) {
  double bg = c.mean(), min_dim = double(std::min(c.height, c.width)), min_side = min_dim * 0.2;
  double lx = min_side + rng.uniform() * 2 * min_dim / 3,
         ly = min_side + rng.uniform() * 2 * min_dim / 3,
         lz = min_side + rng.uniform() * 2 * min_dim / 3;
  Eigen::Matrix<double, 3, 8> cube;  // vertex v has bit 0 -> x, bit 1 -> y, bit 2 -> z
  for (int v = 0; v < 8; ++v) cube.col(v) << (v & 1 ? lx : 0), (v & 2 ? ly : 0), (v & 4 ? lz : 0);
  double a[3];
  for (double& t : a) t = rng.uniform() * 3 * M_PI / 10 + M_PI / 10;
  Eigen::Matrix3d rx, ry, rz, scale = Eigen::Matrix3d::Zero();
  rx << 1, 0, 0, 0, std::cos(a[0]), -std::sin(a[0]), 0, std::sin(a[0]), std::cos(a[0]);
  ry << std::cos(a[1]), 0, -std::sin(a[1]), 0, 1, 0, std::sin(a[1]), 0, std::cos(a[1]);
  rz << std::cos(a[2]), -std::sin(a[2]), 0, std::sin(a[2]), std::cos(a[2]), 0, 0, 0, 1;
  for (int i = 0; i < 3; ++i) scale(i, i) = 0.4 + rng.uniform() * 0.6;
  double w = double(c.width), h = double(c.height);
  double tx = 0.5 * w + double(rng.randint(-0.2 * w, 0.2 * w)),
         ty = 0.5 * h + double(rng.randint(-0.2 * h, 0.2 * h));
  Eigen::Matrix<double, 3, 8> moved = scale * rx * ry * rz * cube;
  std::vector<Pt> v(8);
  for (int i = 0; i < 8; ++i)
    v[size_t(i)] = {double(int64_t(moved(0, i) + tx)), double(int64_t(moved(1, i) + ty))};
  const int faces[3][4] = {{7, 3, 1, 5}, {7, 5, 4, 6}, {7, 6, 2, 3}};
  int f = get_random_color(bg, rng);
  for (auto& face : faces)
    fill_polygon(c,
                 {v[size_t(face[0])], v[size_t(face[1])], v[size_t(face[2])], v[size_t(face[3])]},
                 float(f));
  double thickness = double(rng.randint(min_dim * 0.003, min_dim * 0.015));
  for (auto& face : faces)
    for (int e = 0; e < 4; ++e) {
      int color = int((f + 128 + rng.randint(int64_t(-64), int64_t(64))) % 256);
      draw_line(c, v[size_t(face[e])], v[size_t(face[(e + 1) % 4])], thickness, float(color));
    }
  return inside(std::vector<Pt>(v.begin() + 1, v.end()), c);
}

// cv.randu(0, 255) on u8: integers in [0, 255), eight per 64-bit draw.
void fill_uniform_noise(Canvas& c, Rng& rng) {
  uint64_t bits = 0;
  for (size_t i = 0; i < c.pixels.size(); ++i) {
    if (i % 8 == 0) bits = rng.bits();
    c.pixels[i] = float(((bits & 0xFF) * 255) >> 8);
    bits >>= 8;
  }
}

}  // namespace

Canvas generate_background(int64_t height, int64_t width, Rng& rng) {
  Canvas c(height, width);
  int64_t level = rng.randint(int64_t(0), int64_t(256));
  fill_uniform_noise(c, rng);
  for (float& p : c.pixels) p = p > float(level) ? 255.0f : 0.0f;
  double bg = double(int64_t(c.mean()));
  double dim = double(std::max(height, width));
  for (int i = 0; i < 100; ++i) {
    Pt ctr{double(rng.randint(int64_t(0), width)), double(rng.randint(int64_t(0), height))};
    double r = double(rng.randint(dim * 0.02, dim * 0.031));
    fill_circle(c, ctr, r, float(get_random_color(bg, rng)));
  }
  box_blur(c, int(rng.randint(int64_t(150), int64_t(500))));
  return c;
}

std::vector<Pt> draw_primitive(Primitive primitive, Canvas& c, Rng& rng) {
  switch (primitive) {
    case Primitive::Lines:
      return draw_lines(c, rng);
    case Primitive::Polygon:
      return draw_polygon(c, rng);
    case Primitive::MultiplePolygons:
      return draw_multiple_polygons(c, rng);
    case Primitive::Ellipses:
      return draw_ellipses(c, rng);
    case Primitive::Star:
      return draw_star(c, rng);
    case Primitive::Checkerboard:
      return draw_checkerboard(c, rng);
    case Primitive::Stripes:
      return draw_stripes(c, rng);
    case Primitive::Cube:
      return draw_cube(c, rng);
    case Primitive::GaussianNoise:
      fill_uniform_noise(c, rng);
      return {};
  }
  SP_FAIL("draw_primitive: expected a known primitive, got ", int(primitive));
}

}  // namespace sp::data

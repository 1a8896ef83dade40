// The per-element steps of geometry/gt_matches.h, shared by the CPU loops
// (gt_matches.cpp) and the CUDA kernels (gt_matches_cuda.cu), so both devices run the
// same arithmetic (f64 throughout; depth maps stay f32). Internal to geometry/.
//
// A pair of images is two symmetric sides: side 0 holds image 0's keypoints and their
// projections into image 1, side 1 the reverse. Each step runs once per keypoint k of a
// side (index b * n + k); the steps run in order, each after the previous finished on
// both sides: project -> nearest -> label -> [epipolar_exclude -> epipolar_apply].
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>

#include "tensor/math/half.h"  // SP_HOST_DEVICE

namespace sp::geometry::detail {

inline constexpr int kHomographyParams = 18;  // H (9), then H^-1 (9), row-major
// Depth, per direction d (0: image 0 -> 1, 1: 1 -> 0) at d * kDirectionParams: the
// source camera's fx, fy, cx, cy; R (9); t (3); the target camera's fx, fy, cx, cy, W, H.
// Then F (9, x1^T F x0 = 0) at 2 * kDirectionParams.
inline constexpr int kDirectionParams = 22;
inline constexpr int kDepthParams = 2 * kDirectionParams + 9;

struct GtSide {
  int64_t n = 0;                   // keypoints per image (padded)
  const double* kp = nullptr;      // [B, n, 2]
  const bool* mask = nullptr;      // [B, n]
  const float* depth = nullptr;    // [B, h, w] (depth labels only)
  int64_t h = 0, w = 0;            // the depth map's size
  double* proj = nullptr;          // [B, n, 2] out: the keypoints in the other image
  uint8_t* visible = nullptr;      // [B, n] out
  uint8_t* valid = nullptr;        // [B, n] out: depth valid (homography: 1)
  int64_t* nearest = nullptr;      // [B, n] out: argmin of dist over the other side
  double* nearest_dist = nullptr;  // [B, n] out: that minimum (+inf when none)
  double* min_own_dist = nullptr;  // [B, n] out: min over the other side of this side's
                                   // one-way distance (dist0 for side 0, dist1 for side 1)
  int64_t* matches = nullptr;      // [B, n] out: the labels
  uint8_t* exclude = nullptr;      // [B, n] scratch of the epipolar rule
};

struct GtArgs {
  int64_t batch = 0;
  GtSide side[2];
  bool* assignment = nullptr;  // [B, N, M], zeroed by the caller
  const double* params = nullptr;
  bool depth = false;  // depth labels (else homography)
  bool epipolar = false;
  double pos2 = 9, neg2 = 9, neg = 3;  // th_positive^2, th_negative^2, th_negative
};

SP_HOST_DEVICE inline double gt_inf() {
  return std::numeric_limits<double>::infinity();
}
SP_HOST_DEVICE inline bool gt_isnan(double v) {
  return v != v;
}

// Depth at (x, y) like Glue Factory's sample_depth with grid_sample (zeros padding):
// bilinear over the in-bounds neighbours, invalid (<= 0, NaN) ones poisoning the sum even
// at weight 0, then the nearest pixel (round half to even) where the sum is NaN.
SP_HOST_DEVICE inline double gt_sample_depth(const float* map, int64_t h, int64_t w, double x,
                                             double y, bool& valid) {
  const double fx0 = floor(x), fy0 = floor(y);
  const double ax = x - fx0, ay = y - fy0;
  const int64_t ix = int64_t(fx0), iy = int64_t(fy0);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  double acc = 0;
  for (int c = 0; c < 4; ++c) {
    const int64_t r = iy + (c >> 1), col = ix + (c & 1);
    const double wt = ((c & 1) ? ax : 1 - ax) * ((c >> 1) ? ay : 1 - ay);
    if (r < 0 || r >= h || col < 0 || col >= w) continue;
    const double v = map[r * w + col];
    acc += (v > 0 ? v : nan) * wt;
  }
  if (gt_isnan(acc)) {
    const double rx = nearbyint(x), ry = nearbyint(y);
    acc = 0;
    if (rx >= 0 && ry >= 0 && rx < double(w) && ry < double(h)) {
      const double v = map[int64_t(ry) * w + int64_t(rx)];
      acc = v > 0 ? v : nan;
    }
  }
  valid = !gt_isnan(acc) && acc > 0;
  return valid ? acc : 0;
}

// Step 1: projection into the other image, visibility, depth validity (padding: 0).
SP_HOST_DEVICE inline void gt_project(const GtArgs& a, int s, int64_t b, int64_t k) {
  const GtSide& me = a.side[s];
  const int64_t idx = b * me.n + k;
  const double x = me.kp[2 * idx], y = me.kp[2 * idx + 1];
  if (!me.mask[idx]) {  // padding: nowhere
    me.proj[2 * idx] = me.proj[2 * idx + 1] = 0;
    me.visible[idx] = me.valid[idx] = 0;
    return;
  }
  if (!a.depth) {
    const double* H = a.params + b * kHomographyParams + (s == 0 ? 0 : 9);
    const double w = H[6] * x + H[7] * y + H[8] + 1e-5;
    me.proj[2 * idx] = (H[0] * x + H[1] * y + H[2]) / w;
    me.proj[2 * idx + 1] = (H[3] * x + H[4] * y + H[5]) / w;
    me.visible[idx] = 1;
    me.valid[idx] = 1;
    return;
  }
  const double* P = a.params + b * kDepthParams + s * kDirectionParams;
  bool valid = false;
  const double d = gt_sample_depth(me.depth + b * me.h * me.w, me.h, me.w, x, y, valid);
  const double X[3] = {(x - P[2]) / P[0] * d, (y - P[3]) / P[1] * d, d};
  const double* R = P + 4;
  const double* t = P + 13;
  double Y[3];
  for (int r = 0; r < 3; ++r)
    Y[r] = R[3 * r] * X[0] + R[3 * r + 1] * X[1] + R[3 * r + 2] * X[2] + t[r];
  const double eps = 1e-4;
  const double z = Y[2] > eps ? Y[2] : eps;
  const double u = Y[0] / z * P[16] + P[18], v = Y[1] / z * P[17] + P[19];
  me.proj[2 * idx] = u;
  me.proj[2 * idx + 1] = v;
  me.visible[idx] = valid && Y[2] > eps && u >= 0 && v >= 0 && u <= P[20] - 1 && v <= P[21] - 1;
  me.valid[idx] = valid;
}

// Step 2: the nearest real keypoint of the other side by dist, and the minimum of this
// side's one-way distance.
SP_HOST_DEVICE inline void gt_nearest(const GtArgs& a, int s, int64_t b, int64_t k) {
  const GtSide& me = a.side[s];
  const GtSide& other = a.side[1 - s];
  const int64_t idx = b * me.n + k;
  double best = gt_inf(), own_min = gt_inf();
  int64_t arg = 0;
  if (me.mask[idx]) {
    const double px = me.kp[2 * idx], py = me.kp[2 * idx + 1];
    const double qx = me.proj[2 * idx], qy = me.proj[2 * idx + 1];
    const bool vis = me.visible[idx];
    for (int64_t l = 0; l < other.n; ++l) {
      const int64_t o = b * other.n + l;
      if (!other.mask[o]) continue;
      const double dx = qx - other.kp[2 * o], dy = qy - other.kp[2 * o + 1];
      const double ex = px - other.proj[2 * o], ey = py - other.proj[2 * o + 1];
      const double own = dx * dx + dy * dy, theirs = ex * ex + ey * ey;
      if (own < own_min) own_min = own;
      const double dist = own > theirs ? own : theirs;
      if (vis && other.visible[o] && dist < best) {
        best = dist;
        arg = l;
      }
    }
  }
  me.nearest[idx] = arg;
  me.nearest_dist[idx] = best;
  me.min_own_dist[idx] = own_min;
}

// Step 3: positive (mutual nearest within th_positive), unmatched, or ignored.
SP_HOST_DEVICE inline void gt_label(const GtArgs& a, int s, int64_t b, int64_t k) {
  const GtSide& me = a.side[s];
  const GtSide& other = a.side[1 - s];
  const int64_t idx = b * me.n + k;
  if (!me.mask[idx]) {
    me.matches[idx] = -2;
    return;
  }
  const int64_t l = me.nearest[idx];
  const bool positive = me.nearest_dist[idx] < a.pos2 && other.nearest[b * other.n + l] == k;
  int64_t m = positive ? l : -2;
  if (me.min_own_dist[idx] > a.neg2 && me.valid[idx]) m = -1;
  me.matches[idx] = m;
  if (s == 0 && positive) a.assignment[(b * me.n + k) * other.n + l] = true;
}

// Step 4: a real keypoint of invalid depth is excluded when its symmetric epipolar
// distance to every ignored keypoint of the other image exceeds th_negative.
SP_HOST_DEVICE inline void gt_epipolar_exclude(const GtArgs& a, int s, int64_t b, int64_t k) {
  const GtSide& me = a.side[s];
  const GtSide& other = a.side[1 - s];
  const int64_t idx = b * me.n + k;
  me.exclude[idx] = 0;
  if (!me.mask[idx] || me.valid[idx]) return;
  const double* F = a.params + b * kDepthParams + 2 * kDirectionParams;
  double best = gt_inf();
  if (me.matches[idx] == -2) {
    const double px = me.kp[2 * idx], py = me.kp[2 * idx + 1];
    for (int64_t l = 0; l < other.n; ++l) {
      const int64_t o = b * other.n + l;
      if (!other.mask[o] || other.matches[o] != -2) continue;
      const double qx = other.kp[2 * o], qy = other.kp[2 * o + 1];
      const double x0 = s == 0 ? px : qx, y0 = s == 0 ? py : qy;
      const double x1 = s == 0 ? qx : px, y1 = s == 0 ? qy : py;
      const double l0 = F[0] * x0 + F[1] * y0 + F[2], l1 = F[3] * x0 + F[4] * y0 + F[5];
      const double l2 = F[6] * x0 + F[7] * y0 + F[8];
      const double m0 = F[0] * x1 + F[3] * y1 + F[6], m1 = F[1] * x1 + F[4] * y1 + F[7];
      const double r = fabs(x1 * l0 + y1 * l1 + l2);
      const double e =
          (r / sqrt(l0 * l0 + l1 * l1 + 1e-15) + r / sqrt(m0 * m0 + m1 * m1 + 1e-15)) / 2;
      if (e < best) best = e;
    }
  }
  me.exclude[idx] = best > a.neg;
}

// Step 5.
SP_HOST_DEVICE inline void gt_epipolar_apply(const GtArgs& a, int s, int64_t b, int64_t k) {
  const GtSide& me = a.side[s];
  const int64_t idx = b * me.n + k;
  if (me.exclude[idx]) me.matches[idx] = -1;
}

// The CUDA launches of the steps, on `device`'s current stream (gt_matches_cuda.cu).
void run_gt_cuda(const GtArgs& args, int device);

}  // namespace sp::geometry::detail

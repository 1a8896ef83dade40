// Ground-truth correspondences of two keypoint sets (Glue Factory's gt_generation,
// matchers.md 1.6): from a homography, or from depth maps + intrinsics + relative pose.
// Batched over padded keypoint sets, on the CPU (the reference loops) and on CUDA
// (geometry/gt_matches_cuda.cu, the same per-element code).
//
// Dimension letters: B pairs, N keypoints of image 0 (padded), M of image 1. Keypoints
// are (x, y) pixels with integer pixel centres (sp's convention); K maps camera points to
// those pixels; depth pixel (row r, column c) lies at (x = c, y = r).
//
// The rules (thresholds in pixels, distances squared):
//   proj_0to1(i) = image-0 keypoint i in image 1, proj_1to0(j) likewise;
//   dist0(i, j) = |proj_0to1(i) - kp1(j)|^2, dist1(i, j) = |kp0(i) - proj_1to0(j)|^2,
//   dist = max(dist0, dist1), +inf unless both points are visible in the other image;
//   (i, j) is positive iff j = argmin_j dist(i, .), i = argmin_i dist(., j) (first index
//   on ties) and dist(i, j) < th_positive^2;
//   matches0(i) = j for a positive, -1 (unmatched) when min_j dist0(i, j) > th_negative^2
//   (depth: and i's depth is valid), else -2 (ignore). Symmetric for image 1.
// Homography H (image 0 -> image 1): proj = H x / (w + 1e-5) as Glue Factory warps;
// every point is visible. Depth: the depth at a keypoint is bilinear (zero outside the
// map; where a neighbour is invalid, <= 0, the nearest pixel instead), valid when > 0;
// the point is unprojected with K, moved by T_0to1 (T_1to0 = inverse), projected, and
// visible iff its depth is valid, z > 1e-4 and 0 <= p <= size - 1 in the other image.
// With th_epi > 0, a keypoint of invalid depth becomes -1 when its symmetric epipolar
// distance (pixels, F = K1^-T [t]x R K0^-1, mean of the two point-line distances) to
// every ignored keypoint of the other image exceeds th_negative (Glue Factory compares
// with the negative threshold there, and so do we; th_epi only switches the rule on).
//
// Padding (mask false) is never anyone's neighbour and is labelled -2 (ignore): losses
// skip it. An image without real keypoints leaves the other's real points -1 where their
// depth is valid (or with th_epi), which is what Glue Factory gives for an empty set.
#pragma once

#include <cstdint>

#include "tensor/tensor.h"

namespace sp::geometry {

inline constexpr int64_t kUnmatched = -1;
inline constexpr int64_t kIgnore = -2;

struct GtMatches {
  Tensor matches0;    // [B, N] i64: index in image 1, -1 unmatched, -2 ignore
  Tensor matches1;    // [B, M] i64
  Tensor assignment;  // [B, N, M] bool: the positive pairs
  Tensor proj_0to1;   // [B, N, 2] f32: image-0 keypoints in image 1
  Tensor proj_1to0;   // [B, M, 2] f32
  Tensor visible0;    // [B, N] bool: projects into image 1 (homography: true)
  Tensor visible1;    // [B, M] bool
};

struct HomographyGtOptions {
  double th_positive = 3;  // px (LightGlue's homography stage: 3 / 3)
  double th_negative = 3;  // px; > th_positive leaves an ignore band
};

// kp0 [B, N, 2], kp1 [B, M, 2] (floating), H_0to1 [B, 3, 3], masks [B, N] / [B, M] bool
// (undefined: every keypoint is real). Every tensor on one device; results there.
GtMatches gt_matches_from_homography(const Tensor& kp0, const Tensor& kp1, const Tensor& H_0to1,
                                     const Tensor& mask0 = Tensor(), const Tensor& mask1 = Tensor(),
                                     const HomographyGtOptions& options = {});

// The geometry of a batch of posed pairs.
struct PosedPairs {
  Tensor depth0, depth1;            // [B, H0, W0], [B, H1, W1] floating; <= 0 (or NaN) invalid
  Tensor K0, K1;                    // [B, 3, 3] pinhole intrinsics
  Tensor T_0to1;                    // [B, 4, 4]: X1 = R X0 + t
  Tensor image_size0, image_size1;  // [B, 2] (W, H): the cameras' image sizes
};

struct DepthGtOptions {
  double th_positive = 3;  // px (LightGlue's MegaDepth stage: 3 / 5 / 5)
  double th_negative = 5;
  double th_epi = 5;  // > 0: label keypoints without depth by epipolar distance
};

GtMatches gt_matches_from_depth(const Tensor& kp0, const Tensor& kp1, const PosedPairs& pairs,
                                const Tensor& mask0 = Tensor(), const Tensor& mask1 = Tensor(),
                                const DepthGtOptions& options = {});

}  // namespace sp::geometry

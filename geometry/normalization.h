// Hartley normalization shared by the DLT and the 8-point algorithms.
#pragma once

#include "geometry/eigen.h"
#include "geometry/homography.h"

namespace sp::geometry {

// T with T (x, y, 1) centring the points at the origin at mean distance sqrt(2).
// Identity-like scale when all points coincide.
Eigen::Matrix3d hartley_normalization(const Points2& points);

}  // namespace sp::geometry

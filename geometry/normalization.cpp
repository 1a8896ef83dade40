#include "geometry/normalization.h"

#include <cmath>

namespace sp::geometry {

Eigen::Matrix3d hartley_normalization(const Points2& points) {
  Eigen::Vector2d centre = points.colwise().mean().transpose();
  double mean_dist = (points.rowwise() - centre.transpose()).rowwise().norm().mean();
  double s = mean_dist > 1e-12 ? std::sqrt(2.0) / mean_dist : 1.0;
  Eigen::Matrix3d T;
  T << s, 0, -s * centre.x(), 0, s, -s * centre.y(), 0, 0, 1;
  return T;
}

}  // namespace sp::geometry

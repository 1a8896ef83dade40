#include "geometry/homography.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include "geometry/normalization.h"
#include "tensor/check.h"

namespace sp::geometry {

namespace {

Eigen::Matrix3d scale_to_unit(Eigen::Matrix3d H) {
  double norm = H.norm();
  if (norm > 0) H /= norm;
  if (H(2, 2) < 0) H = -H;
  return H;
}

void check_pairs(const Points2& src, const Points2& dst, const char* what, int minimum) {
  SP_CHECK(src.rows() == dst.rows(), what, ": expected as many source as target points, got ",
           src.rows(), " and ", dst.rows());
  SP_CHECK(src.rows() >= minimum, what, ": expected at least ", minimum, " correspondences, got ",
           src.rows());
}

// True when three of the four sampled points are (nearly) collinear in either image.
bool degenerate_sample(const Points2& p, const int* idx) {
  for (int a = 0; a < 4; ++a)
    for (int b = a + 1; b < 4; ++b)
      for (int c = b + 1; c < 4; ++c) {
        Eigen::Vector2d u = p.row(idx[b]) - p.row(idx[a]), v = p.row(idx[c]) - p.row(idx[a]);
        double cross = u.x() * v.y() - u.y() * v.x();
        if (std::abs(cross) <= 1e-9 * (u.squaredNorm() + v.squaredNorm() + 1e-300)) return true;
      }
  return false;
}

Points2 rows(const Points2& p, const std::vector<int>& idx) {
  Points2 out(idx.size(), 2);
  for (size_t i = 0; i < idx.size(); ++i) out.row(i) = p.row(idx[i]);
  return out;
}

std::vector<int> inlier_indices(const Eigen::VectorXd& err2, double thr2) {
  std::vector<int> idx;
  for (int i = 0; i < err2.size(); ++i)
    if (err2[i] <= thr2) idx.push_back(i);
  return idx;
}

bool finite(const Eigen::Matrix3d& H) {
  return H.allFinite() && std::abs(H.determinant()) > 1e-15;
}

}  // namespace

Eigen::Matrix3d homography_dlt(const Points2& src, const Points2& dst,
                               const Eigen::VectorXd& weights) {
  check_pairs(src, dst, "homography_dlt", 4);
  SP_CHECK(weights.size() == 0 || weights.size() == src.rows(), "homography_dlt: expected ",
           src.rows(), " weights, got ", weights.size());
  Eigen::Matrix3d T0 = hartley_normalization(src), T1 = hartley_normalization(dst);
  const int64_t n = src.rows();
  Eigen::MatrixXd A(2 * n, 9);
  for (int64_t i = 0; i < n; ++i) {
    Eigen::Vector3d p = T0 * Eigen::Vector3d(src(i, 0), src(i, 1), 1.0);
    Eigen::Vector3d q = T1 * Eigen::Vector3d(dst(i, 0), dst(i, 1), 1.0);
    double x = p.x() / p.z(), y = p.y() / p.z(), u = q.x() / q.z(), v = q.y() / q.z();
    double w = weights.size() ? weights[i] : 1.0;
    A.row(2 * i) << -x, -y, -1, 0, 0, 0, u * x, u * y, u;
    A.row(2 * i + 1) << 0, 0, 0, -x, -y, -1, v * x, v * y, v;
    A.row(2 * i) *= w;
    A.row(2 * i + 1) *= w;
  }
  // The null vector of A: the right singular vector of the smallest singular value.
  Eigen::JacobiSVD<Eigen::MatrixXd> svd(A, Eigen::ComputeFullV);
  Eigen::Matrix<double, 9, 1> h = svd.matrixV().col(8);
  Eigen::Matrix3d Hn;
  Hn << h(0), h(1), h(2), h(3), h(4), h(5), h(6), h(7), h(8);
  return scale_to_unit(T1.inverse() * Hn * T0);
}

Points2 transform_points(const Eigen::Matrix3d& H, const Points2& points) {
  Points2 out(points.rows(), 2);
  for (int64_t i = 0; i < points.rows(); ++i) {
    Eigen::Vector3d q = H * Eigen::Vector3d(points(i, 0), points(i, 1), 1.0);
    out(i, 0) = q.x() / q.z();
    out(i, 1) = q.y() / q.z();
  }
  return out;
}

Points2 image_corners(double width, double height, Corners corners) {
  Points2 c(4, 2);
  double w = corners == Corners::PixelCentres ? width - 1 : width;
  double h = corners == Corners::PixelCentres ? height - 1 : height;
  c << 0, 0, w, 0, 0, h, w, h;
  return c;
}

double mean_corner_error(const Eigen::Matrix3d& H_est, const Eigen::Matrix3d& H_gt, double width,
                         double height, Corners corners) {
  Points2 c = image_corners(width, height, corners);
  Points2 a = transform_points(H_est, c), b = transform_points(H_gt, c);
  return (a - b).rowwise().norm().mean();
}

Eigen::VectorXd homography_transfer_errors2(const Eigen::Matrix3d& H, const Points2& src,
                                            const Points2& dst) {
  Points2 proj = transform_points(H, src);
  Eigen::VectorXd e = (proj - dst).rowwise().squaredNorm();
  for (int i = 0; i < e.size(); ++i)
    if (!std::isfinite(e[i])) e[i] = std::numeric_limits<double>::infinity();
  return e;
}

namespace {

// sum rho(e^2) of squared errors e2 (non-finite ones cost as much as a far point).
double loss_cost(const Eigen::VectorXd& e2, RobustLoss loss, double s2) {
  switch (loss) {
    case RobustLoss::Truncated:
      return e2.array().min(s2).sum();
    case RobustLoss::Cauchy:
      return s2 * (e2.array() / s2).log1p().sum();
    default:
      return e2.sum();
  }
}

// rho'(e^2): the IRLS weight of a point.
double loss_weight(double e2, RobustLoss loss, double s2) {
  switch (loss) {
    case RobustLoss::Truncated:
      return e2 <= s2 ? 1.0 : 0.0;
    case RobustLoss::Cauchy:
      return 1.0 / (1.0 + e2 / s2);
    default:
      return 1.0;
  }
}

}  // namespace

Eigen::Matrix3d refine_homography(const Eigen::Matrix3d& H0, const Points2& src, const Points2& dst,
                                  int max_iterations, RobustLoss loss, double scale) {
  SP_CHECK(scale > 0, "refine_homography: expected scale > 0, got ", scale);
  if (std::abs(H0(2, 2)) < 1e-12 || src.rows() < 4) return H0;
  const double s2 = scale * scale;
  Eigen::Matrix3d H = H0 / H0(2, 2);
  double lambda = 1e-3;
  double cost = loss_cost(homography_transfer_errors2(H, src, dst), loss, s2);
  for (int it = 0; it < max_iterations; ++it) {
    Eigen::Matrix<double, 8, 8> JtJ = Eigen::Matrix<double, 8, 8>::Zero();
    Eigen::Matrix<double, 8, 1> Jtr = Eigen::Matrix<double, 8, 1>::Zero();
    for (int64_t i = 0; i < src.rows(); ++i) {
      double x = src(i, 0), y = src(i, 1);
      double u = H(0, 0) * x + H(0, 1) * y + H(0, 2), v = H(1, 0) * x + H(1, 1) * y + H(1, 2);
      double w = H(2, 0) * x + H(2, 1) * y + 1.0;
      double pu = u / w, pv = v / w;
      Eigen::Matrix<double, 8, 1> ju, jv;
      ju << x / w, y / w, 1 / w, 0, 0, 0, -pu * x / w, -pu * y / w;
      jv << 0, 0, 0, x / w, y / w, 1 / w, -pv * x / w, -pv * y / w;
      const double ru = pu - dst(i, 0), rv = pv - dst(i, 1);
      const double wt = loss_weight(ru * ru + rv * rv, loss, s2);
      if (wt == 0 || !std::isfinite(ru + rv)) continue;
      JtJ += wt * (ju * ju.transpose() + jv * jv.transpose());
      Jtr += wt * (ju * ru + jv * rv);
    }
    bool improved = false;
    for (int attempt = 0; attempt < 10 && !improved; ++attempt) {
      Eigen::Matrix<double, 8, 8> A = JtJ;
      A.diagonal() *= 1.0 + lambda;
      Eigen::Matrix<double, 8, 1> delta = A.ldlt().solve(-Jtr);
      Eigen::Matrix3d Hn = H;
      for (int k = 0; k < 8; ++k) Hn(k / 3, k % 3) += delta(k);
      double c = loss_cost(homography_transfer_errors2(Hn, src, dst), loss, s2);
      if (std::isfinite(c) && c < cost) {
        improved = true;
        bool converged = cost - c < 1e-12 * (cost + 1e-30);
        H = Hn;
        cost = c;
        lambda = std::max(lambda / 10, 1e-12);
        if (converged) return scale_to_unit(H);
      } else {
        lambda *= 10;
      }
    }
    if (!improved) break;
  }
  return scale_to_unit(H);
}

int ransac_required_iterations(double inlier_ratio, int sample_size, double confidence,
                               int max_iterations) {
  double p_good = std::pow(std::clamp(inlier_ratio, 0.0, 1.0), sample_size);
  if (p_good >= 1.0) return 1;
  if (p_good <= 0.0) return max_iterations;
  double n = std::log(1.0 - confidence) / std::log(1.0 - p_good);
  if (!std::isfinite(n) || n > max_iterations) return max_iterations;
  return std::max(1, int(std::ceil(n)));
}

RansacOptions msac_homography_options(double threshold) {
  RansacOptions o;
  o.threshold = threshold;
  o.msac = true;
  o.confidence = 0.9999;
  o.max_iterations = 100000;
  o.min_iterations = 1000;
  o.lo_iterations = 25;
  return o;
}

namespace {

// MSAC cost sum min(e^2, thr^2) and the inlier count (e^2 < thr^2).
double msac_cost(const Eigen::Matrix3d& H, const Points2& src, const Points2& dst, double thr2,
                 int* count) {
  const Eigen::VectorXd e2 = homography_transfer_errors2(H, src, dst);
  *count = int((e2.array() < thr2).count());
  return e2.array().min(thr2).sum();
}

// A homography through four points keeps them on one side of the line it sends to
// infinity (same sign of the third coordinate); otherwise it folds the plane.
bool keeps_orientation(const Eigen::Matrix3d& H, const Points2& src, const int* idx) {
  int positive = 0;
  for (int k = 0; k < 4; ++k)
    positive += H.row(2).dot(Eigen::Vector3d(src(idx[k], 0), src(idx[k], 1), 1)) > 0;
  return positive == 0 || positive == 4;
}

RansacResult msac_homography_ransac(const Points2& src, const Points2& dst,
                                    const RansacOptions& options) {
  RansacResult result;
  const int n = int(src.rows());
  result.inliers.assign(n, 0);
  if (n < 4) return result;
  const double th = options.threshold, thr2 = th * th;
  const int max_iters = std::max(options.max_iterations, 1);
  const int min_iters = std::min(options.min_iterations, max_iters);
  std::mt19937_64 rng(options.seed);
  std::uniform_int_distribution<int> pick(0, n - 1);
  Eigen::Matrix3d best = Eigen::Matrix3d::Identity();
  double best_cost = std::numeric_limits<double>::infinity();
  int best_count = 0, best_min_count = 0;
  double best_min_cost = std::numeric_limits<double>::infinity();
  bool found = false;
  auto consider = [&](const Eigen::Matrix3d& H) {
    if (!finite(H)) return;
    int k = 0;
    const double cost = msac_cost(H, src, dst, thr2, &k);
    if (cost >= best_cost) return;
    best_cost = cost;
    best_count = k;
    best = H;
    found = true;
  };
  int dynamic = max_iters, it = 0;
  for (; it < max_iters && (it <= min_iters || it <= dynamic); ++it) {
    int idx[4];
    for (int k = 0; k < 4; ++k) {
      bool fresh;
      do {
        idx[k] = n == 4 ? k : pick(rng);
        fresh = std::find(idx, idx + k, idx[k]) == idx + k;
      } while (!fresh);
    }
    if (degenerate_sample(src, idx) || degenerate_sample(dst, idx)) continue;
    const std::vector<int> sample(idx, idx + 4);
    const Eigen::Matrix3d H = homography_dlt(rows(src, sample), rows(dst, sample));
    if (!finite(H) || !keeps_orientation(H, src, idx)) continue;
    int k = 0;
    const double cost = msac_cost(H, src, dst, thr2, &k);
    if (k <= best_min_count && cost >= best_min_cost) continue;
    best_min_count = std::max(best_min_count, k);
    best_min_cost = std::min(best_min_cost, cost);
    consider(H);
    consider(refine_homography(H, src, dst, options.lo_iterations, RobustLoss::Truncated, th));
    const double w = double(best_count) / n;
    if (w >= 0.9999) {
      dynamic = min_iters;
    } else if (w > 1e-4) {
      const double need =
          std::ceil(std::log(1 - options.confidence) / std::log(1 - std::pow(w, 4)) * 3);
      dynamic = int(std::min<double>(need, max_iters));
    }
  }
  result.iterations = it;
  if (!found || best_count < 4) return result;
  consider(refine_homography(best, src, dst, options.lo_iterations, RobustLoss::Truncated, th));
  const std::vector<int> inl = inlier_indices(homography_transfer_errors2(best, src, dst), thr2);
  Eigen::Matrix3d H = best;
  if (inl.size() > 4) {
    const Eigen::Matrix3d Hr = refine_homography(best, rows(src, inl), rows(dst, inl), 100,
                                                 RobustLoss::Cauchy, options.final_scale);
    if (finite(Hr)) H = Hr;
  }
  result.success = true;
  result.model = scale_to_unit(H);
  for (int i : inl) result.inliers[i] = 1;
  result.num_inliers = int(inl.size());
  return result;
}

}  // namespace

RansacResult find_homography_ransac(const Points2& src, const Points2& dst,
                                    const RansacOptions& options) {
  SP_CHECK(src.rows() == dst.rows(),
           "find_homography_ransac: expected as many source as target points, got ", src.rows(),
           " and ", dst.rows());
  SP_CHECK(options.threshold > 0, "find_homography_ransac: expected threshold > 0, got ",
           options.threshold);
  SP_CHECK(options.confidence > 0 && options.confidence < 1,
           "find_homography_ransac: expected confidence in (0, 1), got ", options.confidence);
  if (options.msac) return msac_homography_ransac(src, dst, options);
  RansacResult result;
  const int n = int(src.rows());
  result.inliers.assign(n, 0);
  if (n < 4) return result;
  const double thr2 = options.threshold * options.threshold;
  std::mt19937_64 rng(options.seed);
  std::uniform_int_distribution<int> pick(0, n - 1);

  std::vector<int> best_inliers;
  Eigen::Matrix3d best = Eigen::Matrix3d::Identity();
  int needed = options.max_iterations;
  int it = 0;
  for (; it < needed; ++it) {
    int idx[4];
    for (int k = 0; k < 4; ++k) {
      bool fresh;
      do {
        idx[k] = pick(rng);
        fresh = std::find(idx, idx + k, idx[k]) == idx + k;
      } while (!fresh);
    }
    if (degenerate_sample(src, idx) || degenerate_sample(dst, idx)) continue;
    std::vector<int> sample(idx, idx + 4);
    Eigen::Matrix3d H = homography_dlt(rows(src, sample), rows(dst, sample));
    if (!finite(H)) continue;
    std::vector<int> inl = inlier_indices(homography_transfer_errors2(H, src, dst), thr2);
    if (inl.size() <= best_inliers.size()) continue;
    // Local optimisation: re-fit on the inliers while the support grows.
    for (int lo = 0; lo < options.lo_iterations && inl.size() >= 4; ++lo) {
      Eigen::Matrix3d Hlo = homography_dlt(rows(src, inl), rows(dst, inl));
      if (!finite(Hlo)) break;
      std::vector<int> inl_lo = inlier_indices(homography_transfer_errors2(Hlo, src, dst), thr2);
      if (inl_lo.size() < inl.size()) break;
      bool same = inl_lo == inl;
      H = Hlo;
      inl = std::move(inl_lo);
      if (same) break;
    }
    best = H;
    best_inliers = inl;
    needed = std::min(options.max_iterations,
                      ransac_required_iterations(double(inl.size()) / n, 4, options.confidence,
                                                 options.max_iterations));
  }
  result.iterations = it;
  if (best_inliers.size() < 4) return result;

  // Final least squares on all inliers (DLT, then the geometric transfer error),
  // re-selecting the inliers of the refined model once.
  Eigen::Matrix3d H =
      refine_homography(homography_dlt(rows(src, best_inliers), rows(dst, best_inliers)),
                        rows(src, best_inliers), rows(dst, best_inliers));
  std::vector<int> final_inl = inlier_indices(homography_transfer_errors2(H, src, dst), thr2);
  if (finite(H) && final_inl.size() >= best_inliers.size()) {
    best = H;
    best_inliers = std::move(final_inl);
  }
  result.success = true;
  result.model = scale_to_unit(best);
  for (int i : best_inliers) result.inliers[i] = 1;
  result.num_inliers = int(best_inliers.size());
  return result;
}

}  // namespace sp::geometry

#include "geometry/epipolar.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "geometry/normalization.h"
#include "tensor/check.h"

namespace sp::geometry {

namespace {

constexpr double kPi = 3.14159265358979323846;

Points2 rows(const Points2& p, const std::vector<int>& idx) {
  Points2 out(idx.size(), 2);
  for (size_t i = 0; i < idx.size(); ++i) out.row(i) = p.row(idx[i]);
  return out;
}

// Unconstrained 8-point solution with Hartley normalization (before rank projection).
Eigen::Matrix3d eight_point_raw(const Points2& x0, const Points2& x1, const char* what) {
  SP_CHECK(x0.rows() == x1.rows(), what, ": expected as many points in both images, got ",
           x0.rows(), " and ", x1.rows());
  SP_CHECK(x0.rows() >= 8, what, ": expected at least 8 correspondences, got ", x0.rows());
  Eigen::Matrix3d T0 = hartley_normalization(x0), T1 = hartley_normalization(x1);
  Eigen::MatrixXd A(x0.rows(), 9);
  for (int64_t i = 0; i < x0.rows(); ++i) {
    Eigen::Vector3d p = T0 * Eigen::Vector3d(x0(i, 0), x0(i, 1), 1.0);
    Eigen::Vector3d q = T1 * Eigen::Vector3d(x1(i, 0), x1(i, 1), 1.0);
    A.row(i) << q.x() * p.x(), q.x() * p.y(), q.x(), q.y() * p.x(), q.y() * p.y(), q.y(), p.x(),
        p.y(), 1.0;
  }
  Eigen::JacobiSVD<Eigen::MatrixXd> svd(A, Eigen::ComputeFullV);
  Eigen::Matrix<double, 9, 1> f = svd.matrixV().col(8);
  Eigen::Matrix3d Fn;
  Fn << f(0), f(1), f(2), f(3), f(4), f(5), f(6), f(7), f(8);
  // Project in the normalized frame (better conditioned), then undo the normalization.
  return T1.transpose() * Fn * T0;
}

Eigen::Matrix3d project_singular_values(const Eigen::Matrix3d& M, bool essential) {
  Eigen::JacobiSVD<Eigen::Matrix3d> svd(M, Eigen::ComputeFullU | Eigen::ComputeFullV);
  Eigen::Vector3d s = svd.singularValues();
  if (essential)
    s << 1, 1, 0;
  else
    s(2) = 0;
  Eigen::Matrix3d out = svd.matrixU() * s.asDiagonal() * svd.matrixV().transpose();
  return out / out.norm();
}

using Solver = Eigen::Matrix3d (*)(const Points2&, const Points2&);

RansacResult epipolar_ransac(const Points2& x0, const Points2& x1, const RansacOptions& options,
                             Solver solve, const char* what) {
  SP_CHECK(x0.rows() == x1.rows(), what, ": expected as many points in both images, got ",
           x0.rows(), " and ", x1.rows());
  SP_CHECK(options.threshold > 0, what, ": expected threshold > 0, got ", options.threshold);
  SP_CHECK(options.confidence > 0 && options.confidence < 1, what,
           ": expected confidence in (0, 1), got ", options.confidence);
  RansacResult result;
  const int n = int(x0.rows());
  result.inliers.assign(n, 0);
  if (n < 8) return result;
  const double thr2 = options.threshold * options.threshold;
  auto inliers_of = [&](const Eigen::Matrix3d& M) {
    Eigen::VectorXd e = sampson_errors2(M, x0, x1);
    std::vector<int> idx;
    for (int i = 0; i < n; ++i)
      if (e[i] <= thr2) idx.push_back(i);
    return idx;
  };
  std::mt19937_64 rng(options.seed);
  std::uniform_int_distribution<int> pick(0, n - 1);
  std::vector<int> best_inliers;
  Eigen::Matrix3d best = Eigen::Matrix3d::Identity();
  int needed = options.max_iterations, it = 0;
  for (; it < needed; ++it) {
    std::vector<int> sample;
    while (sample.size() < 8) {
      int k = pick(rng);
      if (std::find(sample.begin(), sample.end(), k) == sample.end()) sample.push_back(k);
    }
    Eigen::Matrix3d M = solve(rows(x0, sample), rows(x1, sample));
    if (!M.allFinite()) continue;
    std::vector<int> inl = inliers_of(M);
    if (inl.size() <= best_inliers.size()) continue;
    for (int lo = 0; lo < options.lo_iterations && inl.size() >= 8; ++lo) {
      Eigen::Matrix3d Mlo = solve(rows(x0, inl), rows(x1, inl));
      if (!Mlo.allFinite()) break;
      std::vector<int> inl_lo = inliers_of(Mlo);
      if (inl_lo.size() < inl.size()) break;
      bool same = inl_lo == inl;
      M = Mlo;
      inl = std::move(inl_lo);
      if (same) break;
    }
    best = M;
    best_inliers = inl;
    needed = ransac_required_iterations(double(inl.size()) / n, 8, options.confidence,
                                        options.max_iterations);
  }
  result.iterations = it;
  if (best_inliers.size() < 8) return result;
  result.success = true;
  result.model = best;
  for (int i : best_inliers) result.inliers[i] = 1;
  result.num_inliers = int(best_inliers.size());
  return result;
}

}  // namespace

Eigen::Matrix3d fundamental_8point(const Points2& x0, const Points2& x1) {
  return project_singular_values(eight_point_raw(x0, x1, "fundamental_8point"), false);
}

Eigen::Matrix3d essential_8point(const Points2& n0, const Points2& n1) {
  return project_singular_values(eight_point_raw(n0, n1, "essential_8point"), true);
}

Eigen::VectorXd sampson_errors2(const Eigen::Matrix3d& M, const Points2& x0, const Points2& x1) {
  Eigen::VectorXd e(x0.rows());
  for (int64_t i = 0; i < x0.rows(); ++i) {
    Eigen::Vector3d p(x0(i, 0), x0(i, 1), 1.0), q(x1(i, 0), x1(i, 1), 1.0);
    Eigen::Vector3d Mp = M * p, Mtq = M.transpose() * q;
    double num = q.dot(Mp);
    double den = Mp.x() * Mp.x() + Mp.y() * Mp.y() + Mtq.x() * Mtq.x() + Mtq.y() * Mtq.y();
    e[i] = den > 0 ? num * num / den : std::numeric_limits<double>::infinity();
  }
  return e;
}

RansacResult find_fundamental_ransac(const Points2& x0, const Points2& x1,
                                     const RansacOptions& options) {
  return epipolar_ransac(x0, x1, options, fundamental_8point, "find_fundamental_ransac");
}

RansacResult find_essential_ransac(const Points2& n0, const Points2& n1,
                                   const RansacOptions& options) {
  return epipolar_ransac(n0, n1, options, essential_8point, "find_essential_ransac");
}

Points2 normalize_points(const Points2& pixels, const Eigen::Matrix3d& K) {
  Points2 out(pixels.rows(), 2);
  for (int64_t i = 0; i < pixels.rows(); ++i) {
    out(i, 0) = (pixels(i, 0) - K(0, 2)) / K(0, 0);
    out(i, 1) = (pixels(i, 1) - K(1, 2)) / K(1, 1);
  }
  return out;
}

void decompose_essential(const Eigen::Matrix3d& E, Eigen::Matrix3d& R1, Eigen::Matrix3d& R2,
                         Eigen::Vector3d& t) {
  Eigen::JacobiSVD<Eigen::Matrix3d> svd(E, Eigen::ComputeFullU | Eigen::ComputeFullV);
  Eigen::Matrix3d U = svd.matrixU(), V = svd.matrixV();
  if (U.determinant() < 0) U = -U;
  if (V.determinant() < 0) V = -V;
  Eigen::Matrix3d W;
  W << 0, -1, 0, 1, 0, 0, 0, 0, 1;
  R1 = U * W * V.transpose();
  R2 = U * W.transpose() * V.transpose();
  t = U.col(2).normalized();
}

Eigen::Vector4d triangulate(const Eigen::Vector2d& n0, const Eigen::Vector2d& n1,
                            const Eigen::Matrix3d& R, const Eigen::Vector3d& t) {
  Eigen::Matrix<double, 3, 4> P0 = Eigen::Matrix<double, 3, 4>::Zero(), P1;
  P0.leftCols<3>().setIdentity();
  P1 << R, t;
  Eigen::Matrix4d A;
  A.row(0) = n0.x() * P0.row(2) - P0.row(0);
  A.row(1) = n0.y() * P0.row(2) - P0.row(1);
  A.row(2) = n1.x() * P1.row(2) - P1.row(0);
  A.row(3) = n1.y() * P1.row(2) - P1.row(1);
  Eigen::JacobiSVD<Eigen::Matrix4d> svd(A, Eigen::ComputeFullV);
  return svd.matrixV().col(3);
}

RelativePose recover_pose(const Eigen::Matrix3d& E, const Points2& n0, const Points2& n1,
                          const std::vector<uint8_t>& mask) {
  SP_CHECK(n0.rows() == n1.rows(), "recover_pose: expected as many points in both images, got ",
           n0.rows(), " and ", n1.rows());
  SP_CHECK(mask.empty() || int64_t(mask.size()) == n0.rows(), "recover_pose: expected ", n0.rows(),
           " mask entries, got ", mask.size());
  Eigen::Matrix3d R1, R2;
  Eigen::Vector3d t;
  decompose_essential(E, R1, R2, t);
  const Eigen::Matrix3d Rs[4] = {R1, R1, R2, R2};
  const Eigen::Vector3d ts[4] = {t, -t, t, -t};
  RelativePose best;
  best.inliers.assign(n0.rows(), 0);
  int best_count = -1;
  for (int c = 0; c < 4; ++c) {
    std::vector<uint8_t> front(n0.rows(), 0);
    int count = 0;
    for (int64_t i = 0; i < n0.rows(); ++i) {
      if (!mask.empty() && !mask[i]) continue;
      Eigen::Vector4d X = triangulate(n0.row(i).transpose(), n1.row(i).transpose(), Rs[c], ts[c]);
      if (std::abs(X(3)) < 1e-12) continue;
      Eigen::Vector3d P = X.head<3>() / X(3);
      if (P.z() > 0 && (Rs[c] * P + ts[c]).z() > 0) {
        front[i] = 1;
        ++count;
      }
    }
    if (count > best_count) {
      best_count = count;
      best.R = Rs[c];
      best.t = ts[c];
      best.inliers = front;
    }
  }
  best.num_inliers = std::max(best_count, 0);
  best.success = best.num_inliers > 0;
  return best;
}

RelativePose estimate_relative_pose(const Points2& kpts0, const Points2& kpts1,
                                    const Eigen::Matrix3d& K0, const Eigen::Matrix3d& K1,
                                    double threshold_px, double confidence, uint64_t seed) {
  SP_CHECK(kpts0.rows() == kpts1.rows(),
           "estimate_relative_pose: expected as many matches in both images, got ", kpts0.rows(),
           " and ", kpts1.rows());
  RelativePose failed;
  if (kpts0.rows() < 8) return failed;  // the 8-point solver needs 8 (SuperGlue's minimum is 5)
  Points2 n0 = normalize_points(kpts0, K0), n1 = normalize_points(kpts1, K1);
  double f_mean = (K0(0, 0) + K0(1, 1) + K1(0, 0) + K1(1, 1)) / 4.0;
  RansacOptions opt;
  opt.threshold = threshold_px / f_mean;
  opt.confidence = confidence;
  opt.max_iterations = 10000;
  opt.seed = seed;
  RansacResult ransac = find_essential_ransac(n0, n1, opt);
  if (!ransac.success) return failed;
  return recover_pose(ransac.model, n0, n1, ransac.inliers);
}

double rotation_error_deg(const Eigen::Matrix3d& R_est, const Eigen::Matrix3d& R_gt) {
  double c = ((R_est.transpose() * R_gt).trace() - 1.0) / 2.0;
  return std::acos(std::clamp(c, -1.0, 1.0)) * 180.0 / kPi;
}

double translation_error_deg(const Eigen::Vector3d& t_est, const Eigen::Vector3d& t_gt,
                             bool sign_ambiguous) {
  double n = t_est.norm() * t_gt.norm();
  if (t_gt.norm() == 0.0) return 0.0;
  if (n == 0.0) return sign_ambiguous ? 90.0 : 180.0;
  double e = std::acos(std::clamp(t_est.dot(t_gt) / n, -1.0, 1.0)) * 180.0 / kPi;
  return sign_ambiguous ? std::min(e, 180.0 - e) : e;
}

}  // namespace sp::geometry

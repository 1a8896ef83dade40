#include "geometry/essential.h"

#include <algorithm>
#include <array>
#include <cfloat>
#include <cmath>
#include <limits>
#include <random>

#include "tensor/check.h"

namespace sp::geometry {

namespace {

// Polynomials of degree <= 3 in (x, y, z) over 20 monomials, ordered so that the ten
// cubics come first (eliminated by Gauss-Jordan) and the ten others form the quotient
// basis {x^2, xy, xz, y^2, yz, z^2, x, y, z, 1} of the action matrix.
using Poly = std::array<double, 20>;
constexpr int kExp[20][3] = {{3, 0, 0}, {2, 1, 0}, {2, 0, 1}, {1, 2, 0}, {1, 1, 1},
                             {1, 0, 2}, {0, 3, 0}, {0, 2, 1}, {0, 1, 2}, {0, 0, 3},
                             {2, 0, 0}, {1, 1, 0}, {1, 0, 1}, {0, 2, 0}, {0, 1, 1},
                             {0, 0, 2}, {1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {0, 0, 0}};

int monomial(int a, int b, int c) {
  for (int k = 0; k < 20; ++k)
    if (kExp[k][0] == a && kExp[k][1] == b && kExp[k][2] == c) return k;
  SP_ASSERT(false, "essential_5point: monomial of degree > 3");
  return -1;
}

Poly mul(const Poly& p, const Poly& q) {
  Poly r{};
  for (int i = 0; i < 20; ++i) {
    if (p[i] == 0) continue;
    for (int j = 0; j < 20; ++j) {
      if (q[j] == 0) continue;
      r[monomial(kExp[i][0] + kExp[j][0], kExp[i][1] + kExp[j][1], kExp[i][2] + kExp[j][2])] +=
          p[i] * q[j];
    }
  }
  return r;
}

Poly add(const Poly& p, const Poly& q, double s = 1.0) {
  Poly r;
  for (int i = 0; i < 20; ++i) r[i] = p[i] + s * q[i];
  return r;
}

using PolyMat = std::array<std::array<Poly, 3>, 3>;

PolyMat product(const PolyMat& A, const PolyMat& B, bool transpose_b) {
  PolyMat C{};
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c)
      for (int k = 0; k < 3; ++k)
        C[r][c] = add(C[r][c], mul(A[r][k], transpose_b ? B[c][k] : B[k][c]));
  return C;
}

// OpenCV's RANSACUpdateNumIters: cvRound(log(1 - p) / log(1 - w^m)), capped.
int opencv_update_iterations(double p, double outlier_ratio, int model_points, int max_iters) {
  const double ep = std::clamp(outlier_ratio, 0.0, 1.0);
  double num = std::max(1.0 - p, DBL_MIN);
  double denom = 1.0 - std::pow(1.0 - ep, model_points);
  if (denom < DBL_MIN) return 0;
  num = std::log(num);
  denom = std::log(denom);
  return denom >= 0 || -num >= max_iters * (-denom) ? max_iters : int(std::lround(num / denom));
}

Points2 rows(const Points2& p, const std::vector<int>& idx) {
  Points2 out(idx.size(), 2);
  for (size_t i = 0; i < idx.size(); ++i) out.row(i) = p.row(idx[i]);
  return out;
}

// Five distinct indices (all of them when n == 5), drawn as OpenCV's RANSAC does.
std::vector<int> draw_sample(int n, std::mt19937_64& rng) {
  if (n == 5) return {0, 1, 2, 3, 4};
  std::uniform_int_distribution<int> pick(0, n - 1);
  std::vector<int> sample;
  while (sample.size() < 5) {
    const int k = pick(rng);
    if (std::find(sample.begin(), sample.end(), k) == sample.end()) sample.push_back(k);
  }
  return sample;
}

std::vector<int> inliers_of(const Eigen::Matrix3d& E, const Points2& n0, const Points2& n1,
                            double thr2) {
  const Eigen::VectorXd e = sampson_errors2(E, n0, n1);
  std::vector<int> idx;
  for (int64_t i = 0; i < e.size(); ++i)
    if (e[i] <= thr2) idx.push_back(int(i));
  return idx;
}

}  // namespace

std::vector<Eigen::Matrix3d> essential_5point(const Points2& n0, const Points2& n1) {
  SP_CHECK(n0.rows() == 5 && n1.rows() == 5,
           "essential_5point: expected 5 correspondences in both images, got ", n0.rows(), " and ",
           n1.rows());
  // n1^T E n0 = q . vec(E) (row-major); the null space of the 5 rows spans E.
  Eigen::Matrix<double, 9, 9> Q = Eigen::Matrix<double, 9, 9>::Zero();
  for (int i = 0; i < 5; ++i) {
    const double x0 = n0(i, 0), y0 = n0(i, 1), x1 = n1(i, 0), y1 = n1(i, 1);
    Q.row(i) << x1 * x0, x1 * y0, x1, y1 * x0, y1 * y0, y1, x0, y0, 1;
  }
  Eigen::JacobiSVD<Eigen::Matrix<double, 9, 9>> svd(Q, Eigen::ComputeFullV);
  const Eigen::Matrix<double, 9, 4> N = svd.matrixV().rightCols<4>();  // X, Y, Z, W
  PolyMat E{};
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c) {
      Poly p{};
      for (int k = 0; k < 4; ++k) p[16 + k] = N(3 * r + c, k);
      E[r][c] = p;
    }
  // det(E) = 0 and 2 E E^T E - tr(E E^T) E = 0: ten cubics.
  Eigen::Matrix<double, 10, 20> A;
  const Poly det = add(add(mul(E[0][0], add(mul(E[1][1], E[2][2]), mul(E[1][2], E[2][1]), -1)),
                           mul(E[0][1], add(mul(E[1][0], E[2][2]), mul(E[1][2], E[2][0]), -1)), -1),
                       mul(E[0][2], add(mul(E[1][0], E[2][1]), mul(E[1][1], E[2][0]), -1)));
  for (int k = 0; k < 20; ++k) A(0, k) = det[k];
  const PolyMat EEt = product(E, E, true);
  const Poly trace = add(add(EEt[0][0], EEt[1][1]), EEt[2][2]);
  const PolyMat EEtE = product(EEt, E, false);
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c) {
      const Poly p = add(EEtE[r][c], mul(trace, E[r][c]), -0.5);
      for (int k = 0; k < 20; ++k) A(1 + 3 * r + c, k) = p[k];
    }
  // Gauss-Jordan on the cubic columns: [I | B].
  for (int col = 0; col < 10; ++col) {
    int pivot = col;
    for (int r = col + 1; r < 10; ++r)
      if (std::abs(A(r, col)) > std::abs(A(pivot, col))) pivot = r;
    if (std::abs(A(pivot, col)) < 1e-12) return {};  // degenerate sample
    A.row(col).swap(A.row(pivot));
    A.row(col) /= A(col, col);
    for (int r = 0; r < 10; ++r)
      if (r != col) A.row(r) -= A(r, col) * A.row(col);
  }
  const Eigen::Matrix<double, 10, 10> B = A.rightCols<10>();
  // Multiplication by x on the basis b = (x^2, xy, xz, y^2, yz, z^2, x, y, z, 1):
  // x^3, x^2 y, x^2 z, x y^2, x y z, x z^2 are rows 0-5 of [I | B] (cubic = -B b).
  Eigen::Matrix<double, 10, 10> M = Eigen::Matrix<double, 10, 10>::Zero();
  for (int i = 0; i < 6; ++i) M.row(i) = -B.row(i);
  M(6, 0) = 1;  // x * x = x^2
  M(7, 1) = 1;  // x * y = xy
  M(8, 2) = 1;  // x * z = xz
  M(9, 6) = 1;  // x * 1 = x
  Eigen::EigenSolver<Eigen::Matrix<double, 10, 10>> eig(M);
  if (eig.info() != Eigen::Success) return {};
  std::vector<Eigen::Matrix3d> out;
  for (int k = 0; k < 10; ++k) {
    if (std::abs(eig.eigenvalues()[k].imag()) > 1e-10 * (1 + std::abs(eig.eigenvalues()[k])))
      continue;
    const Eigen::Matrix<double, 10, 1> v = eig.eigenvectors().col(k).real();
    if (std::abs(v(9)) < 1e-14 * v.norm()) continue;
    const double x = v(6) / v(9), y = v(7) / v(9), z = v(8) / v(9);
    Eigen::Matrix<double, 9, 1> e = x * N.col(0) + y * N.col(1) + z * N.col(2) + N.col(3);
    Eigen::Matrix3d Em;
    Em << e(0), e(1), e(2), e(3), e(4), e(5), e(6), e(7), e(8);
    if (!Em.allFinite() || Em.norm() == 0) continue;
    out.push_back(Em / Em.norm());
  }
  return out;
}

Eigen::Matrix3d essential_from_pose(const Eigen::Matrix3d& R, const Eigen::Vector3d& t) {
  Eigen::Matrix3d tx;
  tx << 0, -t.z(), t.y(), t.z(), 0, -t.x(), -t.y(), t.x(), 0;
  return tx * R;
}

bool in_front_of_both(const Eigen::Matrix3d& R, const Eigen::Vector3d& t, const Eigen::Vector2d& n0,
                      const Eigen::Vector2d& n1, double min_depth) {
  // Depths (d0, d1) minimizing |d0 u - d1 v + t| for the unit rays u = R x0, v = x1: the
  // 2x2 normal equations [1 -c; -c 1] d = [-u.t; v.t], c = u.v, solved up to 1 / (1 - c^2).
  const Eigen::Vector3d u = R * n0.homogeneous().normalized();
  const Eigen::Vector3d v = n1.homogeneous().normalized();
  const double c = u.dot(v), ut = u.dot(t), vt = v.dot(t);
  const double det = 1 - c * c;
  const double d0 = -ut + c * vt, d1 = vt - c * ut;
  return d0 > min_depth * det && d1 > min_depth * det;
}

double pose_msac_score(const RelativePose& pose, const Points2& n0, const Points2& n1,
                       double threshold, std::vector<uint8_t>* inliers) {
  const double thr2 = threshold * threshold;
  const Eigen::VectorXd e = sampson_errors2(essential_from_pose(pose.R, pose.t), n0, n1);
  if (inliers) inliers->assign(size_t(e.size()), 0);
  double cost = 0;
  for (int64_t i = 0; i < e.size(); ++i) {
    if (e[i] < thr2 &&
        in_front_of_both(pose.R, pose.t, n0.row(i).transpose(), n1.row(i).transpose())) {
      cost += e[i];
      if (inliers) (*inliers)[size_t(i)] = 1;
    } else {
      cost += thr2;
    }
  }
  return cost;
}

namespace {

int count(const std::vector<uint8_t>& mask) {
  return int(std::count(mask.begin(), mask.end(), 1));
}

// The candidates (R, t) of E that put all five sample points in front of both cameras.
void poses_of(const Eigen::Matrix3d& E, const Points2& s0, const Points2& s1,
              std::vector<RelativePose>& out) {
  Eigen::Matrix3d R1, R2;
  Eigen::Vector3d t;
  decompose_essential(E, R1, R2, t);
  const Eigen::Matrix3d Rs[4] = {R1, R1, R2, R2};
  const Eigen::Vector3d ts[4] = {t, -t, t, -t};
  for (int c = 0; c < 4; ++c) {
    bool ok = true;
    for (int64_t i = 0; i < s0.rows() && ok; ++i)
      ok = in_front_of_both(Rs[c], ts[c], s0.row(i).transpose(), s1.row(i).transpose(), 0.0);
    if (!ok) continue;
    RelativePose p;
    p.success = true;
    p.R = Rs[c];
    p.t = ts[c];
    out.push_back(p);
  }
}

// Local optimisation: Levenberg-Marquardt with the truncated loss min(r^2, thr^2) on the
// points whose Sampson distance is under sqrt(5) thr (generous, so that inliers the model
// just missed can come in).
RelativePose local_refine(const RelativePose& pose, const Points2& n0, const Points2& n1,
                          double threshold, int iterations) {
  const Eigen::VectorXd e = sampson_errors2(essential_from_pose(pose.R, pose.t), n0, n1);
  std::vector<uint8_t> mask(size_t(e.size()), 0);
  for (int64_t i = 0; i < e.size(); ++i) mask[size_t(i)] = e[i] < 5 * threshold * threshold;
  if (count(mask) <= 5) return pose;
  return refine_relative_pose(pose, n0, n1, mask, threshold, iterations, RobustLoss::Truncated);
}

// Samples needed to draw one all-inlier sample with probability `confidence`, times 3
// (as poselib's dyn_num_trials_mult), for an inlier ratio w.
int dynamic_iterations(double w, double confidence, int min_iters, int max_iters) {
  if (w >= 0.9999) return min_iters;
  if (w <= 1e-4) return max_iters;
  const double k = std::ceil(std::log(1 - confidence) / std::log(1 - std::pow(w, 5)) * 3);
  return int(std::min<double>(k, max_iters));
}

}  // namespace

RelativePose lo_ransac_relative_pose(const Points2& n0, const Points2& n1,
                                     const EssentialRansacOptions& options, int* iterations) {
  const char* what = "lo_ransac_relative_pose";
  SP_CHECK(n0.rows() == n1.rows(), what, ": expected as many points in both images, got ",
           n0.rows(), " and ", n1.rows());
  SP_CHECK(options.threshold > 0, what, ": expected threshold > 0, got ", options.threshold);
  SP_CHECK(options.confidence > 0 && options.confidence < 1, what,
           ": expected confidence in (0, 1), got ", options.confidence);
  const int n = int(n0.rows());
  RelativePose best;
  best.inliers.assign(size_t(n), 0);
  if (iterations) *iterations = 0;
  if (n < 5) return best;
  const double th = options.threshold;
  const int max_iters = options.max_iterations > 0 ? options.max_iterations : 10000;
  const int min_iters = std::min(options.min_iterations, max_iters);
  std::mt19937_64 rng(options.seed);
  double best_cost = std::numeric_limits<double>::infinity();
  // The best minimal model so far (count and cost separately): beating either triggers
  // the local optimisation of that sample's model.
  int best_min_count = 0;
  double best_min_cost = std::numeric_limits<double>::infinity();
  int dynamic = max_iters, it = 0;
  auto consider = [&](const RelativePose& p, double cost, std::vector<uint8_t>& inl) {
    if (cost >= best_cost) return;
    best_cost = cost;
    best = p;
    best.inliers = std::move(inl);
    best.num_inliers = count(best.inliers);
  };
  std::vector<RelativePose> candidates;
  for (; it < max_iters && (it <= min_iters || it <= dynamic); ++it) {
    const std::vector<int> sample = draw_sample(n, rng);
    const Points2 s0 = rows(n0, sample), s1 = rows(n1, sample);
    candidates.clear();
    for (const Eigen::Matrix3d& E : essential_5point(s0, s1)) poses_of(E, s0, s1, candidates);
    int pick = -1;
    for (size_t c = 0; c < candidates.size(); ++c) {
      std::vector<uint8_t> inl;
      const double cost = pose_msac_score(candidates[c], n0, n1, th, &inl);
      const int k = count(inl);
      if (k <= best_min_count && cost >= best_min_cost) continue;
      best_min_count = std::max(best_min_count, k);
      best_min_cost = std::min(best_min_cost, cost);
      pick = int(c);
      consider(candidates[c], cost, inl);
    }
    if (pick >= 0) {
      const RelativePose refined =
          local_refine(candidates[size_t(pick)], n0, n1, th, options.lo_iterations);
      std::vector<uint8_t> inl;
      const double cost = pose_msac_score(refined, n0, n1, th, &inl);
      consider(refined, cost, inl);
      dynamic = dynamic_iterations(double(best.num_inliers) / n, options.confidence, min_iters,
                                   max_iters);
    }
    if (n == 5) {
      ++it;
      break;
    }
  }
  if (iterations) *iterations = it;
  if (!best.success) return best;
  const RelativePose refined = local_refine(best, n0, n1, th, options.lo_iterations);
  std::vector<uint8_t> inl;
  consider(refined, pose_msac_score(refined, n0, n1, th, &inl), inl);
  best.success = best.num_inliers >= 5;
  return best;
}

PoseEstimator parse_pose_estimator(const std::string& name) {
  if (name == "opencv") return PoseEstimator::OpenCvRansac;
  if (name == "lo-ransac") return PoseEstimator::LoRansac;
  SP_FAIL("pose estimator: expected opencv or lo-ransac, got '", name, "'");
}

const char* pose_estimator_name(PoseEstimator estimator) {
  return estimator == PoseEstimator::OpenCvRansac ? "opencv" : "lo-ransac";
}

RansacResult find_essential_5point_ransac(const Points2& n0, const Points2& n1,
                                          const EssentialRansacOptions& options) {
  const char* what = "find_essential_5point_ransac";
  SP_CHECK(n0.rows() == n1.rows(), what, ": expected as many points in both images, got ",
           n0.rows(), " and ", n1.rows());
  SP_CHECK(options.threshold > 0, what, ": expected threshold > 0, got ", options.threshold);
  SP_CHECK(options.confidence > 0 && options.confidence < 1, what,
           ": expected confidence in (0, 1), got ", options.confidence);
  if (options.estimator == PoseEstimator::LoRansac) {
    int iterations = 0;
    const RelativePose pose = lo_ransac_relative_pose(n0, n1, options, &iterations);
    RansacResult result;
    result.iterations = iterations;
    result.inliers = pose.inliers;
    result.inliers.resize(size_t(n0.rows()), 0);
    if (!pose.success) return result;
    result.success = true;
    result.model = essential_from_pose(pose.R, pose.t).normalized();
    result.num_inliers = pose.num_inliers;
    return result;
  }
  const int max_iters = options.max_iterations > 0 ? options.max_iterations : 1000;
  RansacResult result;
  const int n = int(n0.rows());
  result.inliers.assign(n, 0);
  if (n < 5) return result;
  const double thr2 = options.threshold * options.threshold;
  std::mt19937_64 rng(options.seed);
  std::vector<int> best_inliers;
  Eigen::Matrix3d best = Eigen::Matrix3d::Identity();
  int needed = max_iters, it = 0;
  for (; it < needed; ++it) {
    const std::vector<int> sample = draw_sample(n, rng);
    for (const Eigen::Matrix3d& E : essential_5point(rows(n0, sample), rows(n1, sample))) {
      std::vector<int> inl = inliers_of(E, n0, n1, thr2);
      // OpenCV: a model must beat max(best, modelPoints - 1) inliers.
      if (int(inl.size()) <= std::max<int>(int(best_inliers.size()), 4)) continue;
      best = E;
      best_inliers = std::move(inl);
      needed = opencv_update_iterations(options.confidence,
                                        double(n - int(best_inliers.size())) / n, 5, needed);
    }
    if (n == 5) {
      ++it;
      break;
    }
  }
  result.iterations = it;
  if (best_inliers.size() < 5) return result;
  result.success = true;
  result.model = best;
  for (int i : best_inliers) result.inliers[i] = 1;
  result.num_inliers = int(best_inliers.size());
  return result;
}

RelativePose estimate_relative_pose(const Points2& kpts0, const Points2& kpts1,
                                    const Eigen::Matrix3d& K0, const Eigen::Matrix3d& K1,
                                    const RelativePoseOptions& options) {
  SP_CHECK(kpts0.rows() == kpts1.rows(),
           "estimate_relative_pose: expected as many matches in both images, got ", kpts0.rows(),
           " and ", kpts1.rows());
  if (kpts0.rows() < 5) return {};
  const Points2 n0 = normalize_points(kpts0, K0), n1 = normalize_points(kpts1, K1);
  const double f_mean = (K0(0, 0) + K0(1, 1) + K1(0, 0) + K1(1, 1)) / 4.0;
  EssentialRansacOptions opt;
  opt.estimator = options.estimator;
  opt.threshold = options.threshold_px / f_mean;
  opt.confidence = options.confidence;
  opt.max_iterations = options.max_iterations;
  opt.seed = options.seed;
  if (options.estimator == PoseEstimator::LoRansac) {
    const RelativePose pose = lo_ransac_relative_pose(n0, n1, opt);
    if (!pose.success) return {};
    return refine_relative_pose(pose, n0, n1, pose.inliers, opt.threshold, 100);
  }
  const RansacResult ransac = find_essential_5point_ransac(n0, n1, opt);
  if (!ransac.success) return {};
  return recover_pose(ransac.model, n0, n1, ransac.inliers);
}

namespace {

// Signed Sampson distances of the selected correspondences under E = [t]x R.
Eigen::VectorXd sampson_residuals(const Eigen::Matrix3d& R, const Eigen::Vector3d& t,
                                  const Points2& n0, const Points2& n1,
                                  const std::vector<int>& rows) {
  Eigen::Matrix3d tx;
  tx << 0, -t.z(), t.y(), t.z(), 0, -t.x(), -t.y(), t.x(), 0;
  const Eigen::Matrix3d E = tx * R;
  Eigen::VectorXd r(rows.size());
  for (size_t k = 0; k < rows.size(); ++k) {
    const Eigen::Vector3d x0(n0(rows[k], 0), n0(rows[k], 1), 1);
    const Eigen::Vector3d x1(n1(rows[k], 0), n1(rows[k], 1), 1);
    const Eigen::Vector3d Ex0 = E * x0, Etx1 = E.transpose() * x1;
    const double d2 = Ex0.head<2>().squaredNorm() + Etx1.head<2>().squaredNorm();
    r(Eigen::Index(k)) = x1.dot(Ex0) / std::sqrt(std::max(d2, 1e-300));
  }
  return r;
}

double robust_cost(const Eigen::VectorXd& r, double s2, RobustLoss loss) {
  if (loss == RobustLoss::Truncated) return r.array().square().min(s2).sum();
  if (loss == RobustLoss::Squared) return r.squaredNorm();
  return s2 * (r.array().square() / s2).log1p().sum();
}

// IRLS weights: rho'(r^2).
Eigen::VectorXd robust_weights(const Eigen::VectorXd& r, double s2, RobustLoss loss) {
  if (loss == RobustLoss::Truncated) return (r.array().square() <= s2).cast<double>();
  if (loss == RobustLoss::Squared) return Eigen::VectorXd::Ones(r.size());
  return (1.0 + r.array().square() / s2).inverse();
}

// The pose moved by delta = (w, a, b): R exp([w]x), t + a u + b v normalized (u, v ⟂ t).
void apply_step(const Eigen::Matrix3d& R, const Eigen::Vector3d& t,
                const Eigen::Matrix<double, 5, 1>& delta, Eigen::Matrix3d& R_out,
                Eigen::Vector3d& t_out) {
  const Eigen::Vector3d w = delta.head<3>();
  const double angle = w.norm();
  R_out =
      angle > 0 ? Eigen::Matrix3d(R * Eigen::AngleAxisd(angle, w / angle).toRotationMatrix()) : R;
  Eigen::Vector3d u = t.unitOrthogonal(), v = t.cross(u).normalized();
  t_out = (t + delta(3) * u + delta(4) * v).normalized();
}

}  // namespace

RelativePose refine_relative_pose(const RelativePose& pose, const Points2& n0, const Points2& n1,
                                  const std::vector<uint8_t>& mask, double scale, int iterations,
                                  RobustLoss loss) {
  SP_CHECK(scale > 0, "refine_relative_pose: expected scale > 0, got ", scale);
  SP_CHECK(n0.rows() == n1.rows() && size_t(n0.rows()) == mask.size(),
           "refine_relative_pose: expected ", n0.rows(), " points in both images and mask, got ",
           n1.rows(), " and ", mask.size());
  std::vector<int> rows;
  for (size_t i = 0; i < mask.size(); ++i)
    if (mask[i]) rows.push_back(int(i));
  if (rows.size() < 5 || !pose.success) return pose;
  const double s2 = scale * scale;
  Eigen::Matrix3d R = pose.R;
  Eigen::Vector3d t = pose.t.normalized();
  Eigen::VectorXd r = sampson_residuals(R, t, n0, n1, rows);
  double cost = robust_cost(r, s2, loss);
  double lambda = 1e-3;
  const double h = 1e-7;
  for (int it = 0; it < iterations; ++it) {
    // Jacobian by central differences (5 parameters), IRLS weights of the loss.
    Eigen::MatrixXd J(r.size(), 5);
    for (int p = 0; p < 5; ++p) {
      Eigen::Matrix<double, 5, 1> d = Eigen::Matrix<double, 5, 1>::Zero();
      Eigen::Matrix3d Rp, Rm;
      Eigen::Vector3d tp, tm;
      d(p) = h;
      apply_step(R, t, d, Rp, tp);
      d(p) = -h;
      apply_step(R, t, d, Rm, tm);
      J.col(p) =
          (sampson_residuals(Rp, tp, n0, n1, rows) - sampson_residuals(Rm, tm, n0, n1, rows)) /
          (2 * h);
    }
    const Eigen::VectorXd w = robust_weights(r, s2, loss);
    const Eigen::Matrix<double, 5, 5> A = J.transpose() * w.asDiagonal() * J;
    const Eigen::Matrix<double, 5, 1> g = J.transpose() * (w.array() * r.array()).matrix();
    bool improved = false;
    for (int tries = 0; tries < 8 && !improved; ++tries) {
      Eigen::Matrix<double, 5, 5> Al = A;
      Al.diagonal() += lambda * (A.diagonal().array() + 1e-12).matrix();
      const Eigen::Matrix<double, 5, 1> delta = Al.ldlt().solve(-g);
      if (!delta.allFinite()) break;
      Eigen::Matrix3d Rn;
      Eigen::Vector3d tn;
      apply_step(R, t, delta, Rn, tn);
      const Eigen::VectorXd rn = sampson_residuals(Rn, tn, n0, n1, rows);
      const double cn = robust_cost(rn, s2, loss);
      if (cn < cost) {
        const bool converged = cost - cn < 1e-10 * cost;
        R = Rn;
        t = tn;
        r = rn;
        cost = cn;
        lambda = std::max(lambda / 10, 1e-9);
        improved = true;
        if (converged) it = iterations;
      } else {
        lambda *= 10;
      }
    }
    if (!improved) break;
  }
  RelativePose out = pose;
  out.R = R;
  out.t = t;
  return out;
}

}  // namespace sp::geometry

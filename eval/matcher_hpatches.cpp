#include "eval/matcher_hpatches.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iomanip>
#include <limits>
#include <set>
#include <sstream>

#include "data/image_io.h"
#include "features/feature_files.h"
#include "tensor/check.h"
#include "tensor/ops/creation.h"

namespace sp::eval {

namespace fs = std::filesystem;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// kornia's normalize_points with weights (negative weights count as 0; all zero: uniform).
Eigen::Matrix3d weighted_hartley(const Points2& p, const Eigen::VectorXd& w) {
  double total = w.sum();
  Eigen::VectorXd ew = total > 0 ? w : Eigen::VectorXd::Ones(p.rows());
  total = ew.sum();
  Eigen::Vector2d mean = (p.transpose() * ew) / total;
  double radius = 0;
  for (int64_t i = 0; i < p.rows(); ++i) radius += ew[i] * (p.row(i).transpose() - mean).norm();
  const double s = std::sqrt(2.0) / (radius / total + 1e-8);
  Eigen::Matrix3d T;
  T << s, 0, -s * mean.x(), 0, s, -s * mean.y(), 0, 0, 1;
  return T;
}

Eigen::Matrix<double, 9, 1> smallest_eigenvector(const Eigen::Matrix<double, 9, 9>& M) {
  Eigen::SelfAdjointEigenSolver<Eigen::Matrix<double, 9, 9>> eig(M);
  return eig.eigenvectors().col(0);  // eigenvalues ascending
}

double median(std::vector<double> v) {
  if (v.empty()) return std::nan("");
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::string threshold_key(double t) {
  std::ostringstream o;
  o << "th" << t;
  return o.str();
}

const std::set<std::string>& large_sequences() {
  static const std::set<std::string> names = {"i_contruction", "i_crownnight",    "i_dc",
                                              "i_pencils",     "i_whitebuilding", "v_artisans",
                                              "v_astronautis", "v_talent"};
  return names;
}

// One image in the evaluation frame: its features (keypoints mapped, top-k applied).
struct FrameImage {
  std::string name;  // in the feature file
  features::ImageFeatures features;
  Points2 keypoints;  // the same keypoints as doubles
  ImageSize original, size;
};

}  // namespace

std::optional<Eigen::Matrix3d> kornia_homography_dlt(const Points2& src, const Points2& dst,
                                                     const Eigen::VectorXd& weights,
                                                     DltSolver solver) {
  const int64_t n = src.rows();
  SP_CHECK(dst.rows() == n, "homography DLT: expected as many source as target points, got ", n,
           " and ", dst.rows());
  SP_CHECK(weights.size() == 0 || weights.size() == n, "homography DLT: expected ", n,
           " weights, got ", weights.size());
  if (n < 4) return std::nullopt;
  const Eigen::VectorXd w = weights.size() ? weights : Eigen::VectorXd::Ones(n);
  if (!src.allFinite() || !dst.allFinite() || !w.allFinite()) return std::nullopt;
  const Eigen::Matrix3d T0 = weighted_hartley(src, w.cwiseMax(0.0)),
                        T1 = weighted_hartley(dst, w.cwiseMax(0.0));
  Eigen::Matrix<double, 9, 9> M = Eigen::Matrix<double, 9, 9>::Zero();
  Eigen::Matrix<double, 2, 9> A;
  for (int64_t i = 0; i < n; ++i) {
    const Eigen::Vector3d p = T0 * Eigen::Vector3d(src(i, 0), src(i, 1), 1.0);
    const Eigen::Vector3d q = T1 * Eigen::Vector3d(dst(i, 0), dst(i, 1), 1.0);
    const double x = p.x(), y = p.y(), u = q.x(), v = q.y();
    A.row(0) << -x, -y, -1, 0, 0, 0, u * x, u * y, u;
    A.row(1) << 0, 0, 0, -x, -y, -1, v * x, v * y, v;
    M += w[i] * A.transpose() * A;
  }
  Eigen::Matrix<double, 9, 1> h;
  if (solver == DltSolver::Lu && n > 4) {
    // kornia solves the normal equations against a vector of ones: one step of inverse
    // iteration, dominated by the null vector but not equal to it on noisy data.
    Eigen::FullPivLU<Eigen::Matrix<double, 9, 9>> lu(M);
    h = lu.isInvertible()
            ? Eigen::Matrix<double, 9, 1>(lu.solve(Eigen::Matrix<double, 9, 1>::Ones()))
            : smallest_eigenvector(M);
    if (!h.allFinite()) h = smallest_eigenvector(M);
  } else {
    h = smallest_eigenvector(M);  // four points: the exact null vector (kornia's minimal path)
  }
  Eigen::Matrix3d H;
  H << h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], h[8];
  H = T1.inverse() * H * T0;
  if (!H.allFinite() || std::abs(H(2, 2)) <= 1e-8 * H.norm()) return std::nullopt;
  H /= H(2, 2);
  if (!H.allFinite()) return std::nullopt;
  return H;
}

Eigen::VectorXd symmetric_homography_error(const Eigen::Matrix3d& H, const Points2& p0,
                                           const Points2& p1) {
  SP_CHECK(p0.rows() == p1.rows(), "symmetric_homography_error: expected ", p0.rows(),
           " target points, got ", p1.rows());
  const Points2 fwd = geometry::transform_points(H, p0);
  const Points2 bwd = geometry::transform_points(H.inverse(), p1);
  Eigen::VectorXd e = ((fwd - p1).rowwise().norm() + (bwd - p0).rowwise().norm()) / 2;
  for (int64_t i = 0; i < e.size(); ++i)
    if (!std::isfinite(e[i])) e[i] = kInf;
  return e;
}

ImageSize glue_factory_resized(ImageSize original, int short_side) {
  if (short_side <= 0) return original;
  const double w = original.width, h = original.height, aspect = w / h;
  if (aspect >= 1.0) return {double(int64_t(short_side * aspect)), double(short_side)};
  return {double(short_side), double(int64_t(short_side / aspect))};
}

PairEvaluation evaluate_matched_pair(const MatchedPoints& m, const Eigen::Matrix3d& H_gt,
                                     ImageSize size0, const MatcherEvalOptions& options) {
  const int64_t n = m.pts0.rows();
  SP_CHECK(m.pts1.rows() == n && (m.scores.size() == n || m.scores.size() == 0),
           "evaluate_matched_pair: expected ", n, " points in image k and ", n, " scores, got ",
           m.pts1.rows(), " and ", m.scores.size());
  PairEvaluation out;
  auto& v = out.values;
  v["num_matches"] = double(n);
  v["num_keypoints"] = m.num_keypoints;
  double prec1 = 0, prec3 = 0;
  if (n > 0) {
    const Eigen::VectorXd err = symmetric_homography_error(H_gt, m.pts0, m.pts1);
    prec1 = double((err.array() < 1).count()) / double(n);
    prec3 = double((err.array() < 3).count()) / double(n);
  }
  v["prec@1px"] = prec1;
  v["prec@3px"] = prec3;
  auto corner_error = [&](const Eigen::Matrix3d& H) {
    const double e = geometry::mean_corner_error(H, H_gt, size0.width, size0.height,
                                                 geometry::Corners::ImageBorder);
    return std::isfinite(e) ? e : kInf;
  };
  const Eigen::VectorXd weights =
      options.dlt_uniform_weights || m.scores.size() == 0 ? Eigen::VectorXd::Ones(n) : m.scores;
  const auto H_dlt = kornia_homography_dlt(m.pts0, m.pts1, weights, options.dlt_solver);
  v["H_error_dlt"] = H_dlt ? corner_error(*H_dlt) : kInf;
  for (double t : options.ransac_thresholds) {
    SP_CHECK(t > 0, "speval: expected RANSAC thresholds > 0, got ", t);
    geometry::RansacOptions o = options.ransac;
    o.threshold = t;
    const geometry::RansacResult r = geometry::find_homography_ransac(m.pts0, m.pts1, o);
    const double inl = r.success ? double(r.num_inliers) : 0.0;
    out.per_threshold.push_back({{"H_error_ransac", r.success ? corner_error(r.model) : kInf},
                                 {"ransac_inl", inl},
                                 {"ransac_inl%", inl / double(std::max<int64_t>(n, 1))}});
  }
  return out;
}

HPatchesReport summarize_matcher_pairs(std::vector<PairRecord> records,
                                       const std::vector<PairEvaluation>& evaluations,
                                       const std::vector<double>& thresholds) {
  SP_CHECK(records.size() == evaluations.size(), "summarize_matcher_pairs: expected ",
           records.size(), " evaluations, got ", evaluations.size());
  SP_CHECK(!thresholds.empty(), "summarize_matcher_pairs: expected a RANSAC threshold");
  const std::vector<double> at = {1, 3, 5};
  auto mean3 = [](const std::vector<double>& a) { return (a[0] + a[1] + a[2]) / 3; };
  std::vector<std::vector<double>> aucs;
  for (size_t t = 0; t < thresholds.size(); ++t) {
    std::vector<double> errors;
    for (const PairEvaluation& e : evaluations) {
      SP_CHECK(e.per_threshold.size() == thresholds.size(),
               "summarize_matcher_pairs: expected one result per threshold");
      errors.push_back(e.per_threshold[t].at("H_error_ransac"));
    }
    aucs.push_back(error_auc(errors, at));
  }
  size_t best = 0;
  for (size_t t = 1; t < aucs.size(); ++t)
    if (mean3(aucs[t]) > mean3(aucs[best])) best = t;

  std::vector<double> dlt_errors;
  for (size_t i = 0; i < records.size(); ++i) {
    const PairEvaluation& e = evaluations[i];
    records[i].values.insert(e.values.begin(), e.values.end());
    for (const auto& [k, val] : e.per_threshold[best]) records[i].values[k] = val;
    if (thresholds.size() > 1)
      for (size_t t = 0; t < thresholds.size(); ++t)
        records[i].values["H_error_ransac_" + threshold_key(thresholds[t])] =
            e.per_threshold[t].at("H_error_ransac");
    dlt_errors.push_back(e.values.at("H_error_dlt"));
  }
  HPatchesReport report;
  auto& s = report.summary;
  s["num_pairs"] = double(records.size());
  const std::vector<double> dlt = error_auc(dlt_errors, at);
  for (size_t i = 0; i < at.size(); ++i) {
    const std::string px = "@" + std::to_string(int(at[i])) + "px";
    s["H_error_dlt" + px] = dlt[i];
    s["H_error_ransac" + px] = aucs[best][i];
  }
  s["H_error_dlt_mAA"] = mean3(dlt);
  s["H_error_ransac_mAA"] = mean3(aucs[best]);
  s["ransac_th"] = thresholds[best];
  if (thresholds.size() > 1)
    for (size_t t = 0; t < thresholds.size(); ++t) {
      const std::string k = threshold_key(thresholds[t]) + "/H_error_ransac";
      for (size_t i = 0; i < at.size(); ++i)
        s[k + "@" + std::to_string(int(at[i])) + "px"] = aucs[t][i];
      s[k + "_mAA"] = mean3(aucs[t]);
    }
  for (const char* key : {"prec@1px", "prec@3px", "num_matches", "num_keypoints", "H_error_dlt",
                          "H_error_ransac", "ransac_inl", "ransac_inl%"}) {
    std::vector<double> vals;
    for (const PairRecord& r : records) vals.push_back(r.values.at(key));
    s[std::string("m") + key] = median(vals);
    if (std::string(key).rfind("H_error", 0) != 0) {
      double sum = 0;
      for (double x : vals) sum += x;
      s[std::string("avg_") + key] = vals.empty() ? std::nan("") : sum / double(vals.size());
    }
  }
  report.pairs = std::move(records);
  return report;
}

std::vector<std::string> hpatches_feature_names(const std::string& sequence, int k,
                                                const std::string& extension) {
  const std::string idx = std::to_string(k);
  return {sequence + "/" + idx, sequence + "/" + idx + extension, sequence + "-" + idx};
}

namespace {

fs::path sequence_image(const fs::path& dir, int k) {
  for (const char* ext : {".ppm", ".pgm", ".png", ".jpg"}) {
    fs::path p = dir / (std::to_string(k) + ext);
    if (fs::exists(p)) return p;
  }
  SP_FAIL("speval: expected image ", (dir / (std::to_string(k) + ".ppm")).string(),
          " (or .pgm/.png/.jpg)");
}

FrameImage load_frame_image(const features::FeatureReader& file, const fs::path& dir,
                            const std::string& seq, int k, const MatcherHPatchesOptions& o,
                            bool need_descriptors) {
  const fs::path path = sequence_image(dir, k);
  const Tensor image = data::read_image(path.string());
  FrameImage f;
  f.original = {double(image.size(2)), double(image.size(1))};
  f.size = glue_factory_resized(f.original, o.resize);
  const std::vector<std::string> names = hpatches_feature_names(seq, k, path.extension().string());
  for (const std::string& n : names)
    if (file.has(n)) {
      f.name = n;
      break;
    }
  if (f.name.empty()) {
    std::string tried;
    for (const std::string& n : names) tried += (tried.empty() ? "'" : ", '") + n + "'";
    SP_FAIL("speval: expected the features of image ", path.string(), " in ", file.path(),
            " under one of the names ", tried, "; hint: spdetect over the HPatches folder");
  }
  const features::ImageFeatures in = file.read(f.name);
  SP_CHECK(!need_descriptors || in.has_descriptors(),
           "speval: the matcher needs descriptors, and '", f.name, "' in ", file.path(),
           " has none");
  const std::vector<float> kp = in.keypoints.contiguous().to_vector<float>();
  const std::vector<float> sc = in.scores.contiguous().to_vector<float>();
  const Eigen::VectorXd scores =
      Eigen::Map<const Eigen::VectorXf>(sc.data(), Eigen::Index(sc.size())).cast<double>();
  std::vector<int> keep = top_k_indices(scores, o.top_k);
  std::sort(keep.begin(), keep.end());  // keep the file's order
  const double sx = f.size.width / f.original.width, sy = f.size.height / f.original.height;
  const int64_t n = int64_t(keep.size());
  std::vector<float> kp_out(static_cast<size_t>(n) * 2), sc_out(static_cast<size_t>(n));
  f.keypoints.resize(n, 2);
  for (int64_t i = 0; i < n; ++i) {
    const size_t j = size_t(keep[size_t(i)]);
    // GF's corner convention in the resized frame: (k + 0.5) * s.
    f.keypoints(i, 0) = (double(kp[2 * j]) + 0.5) * sx;
    f.keypoints(i, 1) = (double(kp[2 * j + 1]) + 0.5) * sy;
    kp_out[size_t(2 * i)] = float(f.keypoints(i, 0));
    kp_out[size_t(2 * i + 1)] = float(f.keypoints(i, 1));
    sc_out[size_t(i)] = sc[j];
  }
  f.features.keypoints = from_vector(kp_out, Shape{n, 2});
  f.features.scores = from_vector(sc_out, Shape{n});
  if (in.has_descriptors()) {
    const int64_t d = in.descriptors.size(1);
    const std::vector<float> dv = in.descriptors.contiguous().to_vector<float>();
    std::vector<float> d_out(size_t(n * d));
    for (int64_t i = 0; i < n; ++i)
      std::copy_n(dv.begin() + int64_t(keep[size_t(i)]) * d, d, d_out.begin() + i * d);
    f.features.descriptors = from_vector(d_out, Shape{n, d});
  }
  f.features.width = int64_t(f.size.width);
  f.features.height = int64_t(f.size.height);
  return f;
}

Eigen::Matrix3d diag_scale(const FrameImage& f) {
  Eigen::Matrix3d S = Eigen::Matrix3d::Identity();
  S(0, 0) = f.size.width / f.original.width;
  S(1, 1) = f.size.height / f.original.height;
  return S;
}

// The pair's matches: from the matcher or the match file, checked against the images.
PairMatchIndices pair_matches(const FrameImage& a, const FrameImage& b, const std::string& seq,
                              int k, const MatchFunction& match,
                              const features::MatchReader* reader,
                              const MatcherHPatchesOptions& o) {
  const std::string what = "pair " + seq + " 1-" + std::to_string(k);
  PairMatchIndices m;
  if (reader) {
    SP_CHECK(reader->has(a.name, b.name), "speval: expected matches of '", a.name, "' and '",
             b.name, "' (", what, ") in ", o.matches);
    m.pairs = reader->read(a.name, b.name);
    m.scores = ones({m.pairs.size(0)});
  } else {
    const int64_t d0 = a.features.descriptors.size(1), d1 = b.features.descriptors.size(1);
    SP_CHECK(d0 == d1, "speval: expected descriptors of one size for ", what, ", got ", d0,
             " for '", a.name, "' and ", d1, " for '", b.name, "' in ", o.features);
    try {
      m = match(a.features, b.features);
    } catch (const std::exception& e) {
      SP_FAIL("speval: the matcher failed on ", what, " ('", a.name, "': ", a.features.size(),
              " keypoints, '", b.name, "': ", b.features.size(), ", descriptors of size ", d0,
              " from ", o.features, "): ", e.what());
    }
  }
  SP_CHECK(m.pairs.defined() && m.pairs.dim() == 2 && m.pairs.size(1) == 2 && m.scores.defined() &&
               m.scores.dim() == 1 && m.scores.size(0) == m.pairs.size(0),
           "speval: expected matches [K, 2] and scores [K] for ", what);
  const std::vector<int64_t> idx = m.pairs.to(DType::I64).contiguous().to_vector<int64_t>();
  for (size_t i = 0; i < idx.size(); ++i) {
    const int64_t limit = i % 2 ? b.features.size() : a.features.size();
    SP_CHECK(idx[i] >= 0 && idx[i] < limit, "speval: expected match indices below ", limit,
             " (the keypoints of '", i % 2 ? b.name : a.name, "'), got ", idx[i], " for ", what,
             reader ? " in " + o.matches : std::string());
  }
  return m;
}

}  // namespace

HPatchesReport run_matcher_hpatches(const MatcherHPatchesOptions& options,
                                    const MatchFunction& match) {
  SP_CHECK(bool(match) != !options.matches.empty(),
           "speval: expected exactly one of a matcher (--matcher) and a match file (--matches)");
  SP_CHECK(options.matches.empty() || options.top_k <= 0,
           "speval: --top-k would renumber the keypoints that the match file ", options.matches,
           " indexes; leave it out with --matches");
  SP_CHECK(options.subset == "all" || options.subset == "i" || options.subset == "v",
           "speval: expected subset all, i or v, got ", options.subset);
  SP_CHECK(options.resize >= 0, "speval: expected --resize >= 0, got ", options.resize);
  SP_CHECK(fs::is_directory(options.data_dir), "speval: expected an HPatches folder, got ",
           options.data_dir, "; hint: hpatches-sequences-release/ with <seq>/{1..6}.ppm and H_1_k");
  std::vector<std::string> sequences;
  for (const auto& entry : fs::directory_iterator(options.data_dir)) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_directory() || name.size() < 2 || name[1] != '_') continue;
    if (options.subset != "all" && name[0] != options.subset[0]) continue;
    if (options.ignore_large && large_sequences().count(name)) continue;
    sequences.push_back(name);
  }
  std::sort(sequences.begin(), sequences.end());
  SP_CHECK(!sequences.empty(), "speval: expected sequences (i_*, v_*) in ", options.data_dir);
  const features::FeatureReader file(options.features);
  std::unique_ptr<features::MatchReader> reader;
  if (!options.matches.empty())
    reader = std::make_unique<features::MatchReader>(
        options.matches, fs::is_directory(options.matches) ? features::MatchLayout::Disk
                                                           : features::MatchLayout::Hloc);

  std::vector<PairRecord> records;
  std::vector<PairEvaluation> evaluations;
  for (const std::string& seq : sequences) {
    const fs::path dir = fs::path(options.data_dir) / seq;
    const FrameImage a = load_frame_image(file, dir, seq, 1, options, !reader);
    double seq_prec = 0;
    for (int k = 2; k <= 6; ++k) {
      const FrameImage b = load_frame_image(file, dir, seq, k, options, !reader);
      const Eigen::Matrix3d H =
          diag_scale(b) * read_homography_file((dir / ("H_1_" + std::to_string(k))).string()) *
          diag_scale(a).inverse();
      const PairMatchIndices m = pair_matches(a, b, seq, k, match, reader.get(), options);
      const std::vector<int64_t> idx = m.pairs.to(DType::I64).contiguous().to_vector<int64_t>();
      const std::vector<float> sc = m.scores.to(DType::F32).contiguous().to_vector<float>();
      MatchedPoints mp;
      const int64_t nm = m.pairs.size(0);
      mp.pts0.resize(nm, 2);
      mp.pts1.resize(nm, 2);
      mp.scores.resize(nm);
      for (int64_t i = 0; i < nm; ++i) {
        mp.pts0.row(i) = a.keypoints.row(idx[size_t(2 * i)]);
        mp.pts1.row(i) = b.keypoints.row(idx[size_t(2 * i + 1)]);
        mp.scores[i] = sc[size_t(i)];
      }
      mp.num_keypoints = double(a.features.size() + b.features.size()) / 2;
      evaluations.push_back(evaluate_matched_pair(mp, H, a.size, options.eval));
      records.push_back(PairRecord{seq, k, {}});
      seq_prec += evaluations.back().values.at("prec@3px");
    }
    if (options.progress)
      *options.progress << "speval: " << seq << " (" << records.size() / 5 << "/"
                        << sequences.size() << ") prec@3px " << std::setprecision(3) << seq_prec / 5
                        << "\n";
  }
  return summarize_matcher_pairs(std::move(records), evaluations, options.eval.ransac_thresholds);
}

}  // namespace sp::eval

#include "eval/pose_benchmark.h"

#include <cmath>
#include <iomanip>
#include <limits>
#include <memory>
#include <sstream>

#include "features/feature_files.h"
#include "tensor/check.h"
#include "tensor/io/hdf5.h"
#include "tensor/ops/creation.h"

namespace sp::eval {

namespace {

struct ImagePoints {
  Points2 keypoints;
  Descriptors descriptors;
};

ImagePoints load(const features::FeatureReader& file, const std::string& name, bool descriptors) {
  const features::ImageFeatures f = file.read(name);
  SP_CHECK(!descriptors || f.has_descriptors(), "speval: --pose matches descriptors, and '", name,
           "' in ", file.path(), " has none (a detector-only model)");
  const int64_t n = f.size();
  const std::vector<float> kv = f.keypoints.contiguous().to_vector<float>();
  ImagePoints out;
  out.keypoints =
      Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, 2, Eigen::RowMajor>>(kv.data(), n, 2)
          .cast<double>();
  if (descriptors) {
    const std::vector<float> dv = f.descriptors.contiguous().to_vector<float>();
    out.descriptors = Eigen::Map<const Descriptors>(dv.data(), n, f.descriptors.size(1));
  }
  return out;
}

std::string threshold_key(double t) {
  std::ostringstream o;
  o << "th" << t;
  return o.str();
}

}  // namespace

std::vector<double> threshold_sweep() {
  return {0.5, 1.0, 1.5, 2.0, 2.5, 3.0};
}

std::vector<std::optional<PairMatches>> load_pair_matches(const std::vector<PosePair>& pairs,
                                                          const std::string& predictions,
                                                          const std::string& matches,
                                                          std::ostream* progress) {
  const features::FeatureReader file(predictions);
  std::unique_ptr<features::MatchReader> match_file;
  if (!matches.empty())
    match_file = std::make_unique<features::MatchReader>(matches, features::MatchLayout::Hloc);
  std::vector<std::optional<PairMatches>> out;
  for (const PosePair& p : pairs) {
    std::string missing;
    for (const std::string& n : {p.name0, p.name1})
      if (!file.has(n)) missing += (missing.empty() ? "" : ", ") + n;
    if (!missing.empty()) {
      if (progress)
        *progress << "speval: skipping the pair of " << p.where << ": " << predictions
                  << " has no features of " << missing << "\n";
      out.emplace_back();
      continue;
    }
    const ImagePoints f0 = load(file, p.name0, !match_file), f1 = load(file, p.name1, !match_file);
    PairMatches m;
    if (match_file) {
      const std::vector<int64_t> idx = match_file->read(p.name0, p.name1).to_vector<int64_t>();
      const size_t k = idx.size() / 2;
      m.kpts0.resize(k, 2);
      m.kpts1.resize(k, 2);
      for (size_t r = 0; r < k; ++r) {
        SP_CHECK(idx[2 * r] < f0.keypoints.rows() && idx[2 * r + 1] < f1.keypoints.rows(),
                 "speval: expected match indices below ", f0.keypoints.rows(), " and ",
                 f1.keypoints.rows(), " in ", matches, " for ", p.name0, " ", p.name1, ", got ",
                 idx[2 * r], " ", idx[2 * r + 1]);
        m.kpts0.row(r) = f0.keypoints.row(idx[2 * r]);
        m.kpts1.row(r) = f1.keypoints.row(idx[2 * r + 1]);
      }
    } else {
      const std::vector<Match> mm = mutual_nearest_neighbours(f0.descriptors, f1.descriptors);
      m.kpts0.resize(mm.size(), 2);
      m.kpts1.resize(mm.size(), 2);
      for (size_t k = 0; k < mm.size(); ++k) {
        m.kpts0.row(k) = f0.keypoints.row(mm[k].i1);
        m.kpts1.row(k) = f1.keypoints.row(mm[k].i2);
      }
    }
    out.push_back(std::move(m));
  }
  return out;
}

HPatchesReport evaluate_poses(const std::vector<PosePair>& pairs,
                              const std::vector<std::optional<PairMatches>>& matches,
                              const PoseEvalOptions& options) {
  SP_CHECK(pairs.size() == matches.size(), "evaluate_poses: expected one match set per pair (",
           pairs.size(), "), got ", matches.size());
  SP_CHECK(!options.ransac_thresholds.empty(),
           "evaluate_poses: expected at least one RANSAC threshold");
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<double> auc_at = {5, 10, 20};
  HPatchesReport report;
  int64_t skipped = 0;
  std::vector<std::vector<PairRecord>> records(options.ransac_thresholds.size());
  std::vector<std::vector<double>> aucs(options.ransac_thresholds.size());
  for (size_t ti = 0; ti < options.ransac_thresholds.size(); ++ti) {
    std::vector<double> errors;
    for (size_t i = 0; i < pairs.size(); ++i) {
      if (!matches[i]) {
        if (ti == 0) ++skipped;
        continue;
      }
      const PosePair& p = pairs[i];
      const PairMatches& m = *matches[i];
      geometry::RelativePoseOptions o;
      o.estimator = options.estimator;
      o.threshold_px = options.ransac_thresholds[ti];
      o.confidence = options.confidence;
      o.seed = options.seed;
      const geometry::RelativePose pose =
          geometry::estimate_relative_pose(m.kpts0, m.kpts1, p.K0, p.K1, o);
      const double eR = pose.success ? geometry::rotation_error_deg(pose.R, p.R) : inf;
      const double et = pose.success ? geometry::translation_error_deg(pose.t, p.t) : inf;
      PairRecord rec{p.name0 + " " + p.name1, 0, {}};
      rec.values = {{"error_R", eR},
                    {"error_t", et},
                    {"pose_error", std::max(eR, et)},
                    {"num_matches", double(m.kpts0.rows())},
                    {"num_inliers", double(pose.num_inliers)}};
      errors.push_back(std::max(eR, et));
      records[ti].push_back(std::move(rec));
    }
    aucs[ti] = error_auc(errors, auc_at);
  }
  size_t best = 0;
  auto maa = [&](size_t t) { return (aucs[t][0] + aucs[t][1] + aucs[t][2]) / 3; };
  for (size_t t = 1; t < aucs.size(); ++t)
    if (maa(t) > maa(best)) best = t;
  report.pairs = records[best];
  report.summary = {{"num_pairs", double(records[best].size())},
                    {"num_skipped", double(skipped)},
                    {"pose_auc_5", aucs[best][0]},
                    {"pose_auc_10", aucs[best][1]},
                    {"pose_auc_20", aucs[best][2]},
                    {"pose_mAA", maa(best)},
                    {"ransac_threshold", options.ransac_thresholds[best]}};
  if (aucs.size() > 1)
    for (size_t t = 0; t < aucs.size(); ++t) {
      const std::string k = threshold_key(options.ransac_thresholds[t]) + "/pose_";
      report.summary[k + "auc_5"] = aucs[t][0];
      report.summary[k + "auc_10"] = aucs[t][1];
      report.summary[k + "auc_20"] = aucs[t][2];
      report.summary[k + "mAA"] = maa(t);
    }
  return report;
}

void save_pair_matches(const std::string& path, const std::vector<PosePair>& pairs,
                       const std::vector<std::optional<PairMatches>>& matches) {
  io::write_atomically(path, [&](io::H5File& f) {
    for (size_t i = 0; i < pairs.size(); ++i) {
      if (!matches[i]) continue;
      const PosePair& p = pairs[i];
      const std::string g = std::to_string(i);
      auto points = [](const Points2& x) {
        std::vector<double> v(size_t(x.size()));
        for (int64_t r = 0; r < x.rows(); ++r)
          for (int c = 0; c < 2; ++c) v[size_t(2 * r + c)] = x(r, c);
        return from_vector(v, {x.rows(), 2});
      };
      auto mat = [](const Eigen::MatrixXd& m) {
        std::vector<double> v;
        for (int64_t r = 0; r < m.rows(); ++r)
          for (int64_t c = 0; c < m.cols(); ++c) v.push_back(m(r, c));
        return from_vector(v, {m.rows(), m.cols()});
      };
      Eigen::Matrix4d T = Eigen::Matrix4d::Identity();
      T.topLeftCorner<3, 3>() = p.R;
      T.topRightCorner<3, 1>() = p.t;
      f.write(g + "/kpts0", points(matches[i]->kpts0));
      f.write(g + "/kpts1", points(matches[i]->kpts1));
      f.write(g + "/K0", mat(p.K0));
      f.write(g + "/K1", mat(p.K1));
      f.write(g + "/T_0to1", mat(T));
      f.set_attr(g, "name0", p.name0);
      f.set_attr(g, "name1", p.name1);
    }
  });
}

HPatchesReport run_pose_benchmark(const PoseOptions& options) {
  SP_CHECK(!options.pairs.empty(), "speval: expected --pairs with --pose");
  SP_CHECK(!options.predictions.empty(), "speval: expected --predictions with --pose");
  const PosePairs pairs = read_pose_benchmark(options.pairs);
  const auto matches =
      load_pair_matches(pairs.pairs, options.predictions, options.matches, options.progress);
  if (!options.save_matches.empty()) save_pair_matches(options.save_matches, pairs.pairs, matches);
  HPatchesReport report = evaluate_poses(pairs.pairs, matches, options.eval);
  report.summary["num_skipped"] += double(pairs.skipped);
  if (options.progress)
    for (const PairRecord& r : report.pairs)
      *options.progress << "speval: " << r.sequence << " pose error " << r.values.at("pose_error")
                        << " deg, " << r.values.at("num_inliers") << "/"
                        << r.values.at("num_matches") << " inliers\n";
  return report;
}

}  // namespace sp::eval

#include "eval/pose_benchmark.h"

#include <cmath>
#include <fstream>
#include <limits>
#include <numeric>
#include <sstream>

#include "features/feature_files.h"
#include "geometry/epipolar.h"
#include "tensor/check.h"

namespace sp::eval {

namespace {

struct Features {
  Points2 keypoints;
  Descriptors descriptors;
};

Features load(const features::FeatureReader& file, const std::string& name) {
  const features::ImageFeatures f = file.read(name);
  SP_CHECK(f.has_descriptors(), "speval: --pose matches descriptors, and '", name, "' in ",
           file.path(), " has none (a detector-only model)");
  const int64_t n = f.size();
  const std::vector<float> kv = f.keypoints.contiguous().to_vector<float>();
  const std::vector<float> dv = f.descriptors.contiguous().to_vector<float>();
  return {
      Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, 2, Eigen::RowMajor>>(kv.data(), n, 2)
          .cast<double>(),
      Eigen::Map<const Descriptors>(dv.data(), n, f.descriptors.size(1))};
}

}  // namespace

std::vector<PosePair> read_pose_pairs(const std::string& path) {
  std::ifstream in(path);
  SP_CHECK(in.good(), "speval: expected a readable pair list ", path);
  std::vector<PosePair> pairs;
  std::string line;
  for (int line_no = 1; std::getline(in, line); ++line_no) {
    std::istringstream row(line);
    std::vector<std::string> tok;
    for (std::string s; row >> s;) tok.push_back(s);
    if (tok.empty()) continue;
    SP_CHECK(tok.size() == 38,
             "speval: expected 38 tokens (name0 name1 rot0 rot1 K0 K1 T_0to1) in ", path, ":",
             line_no, ", got ", tok.size());
    SP_CHECK(tok[2] == "0" && tok[3] == "0", "speval: expected EXIF rotations 0 in ", path, ":",
             line_no, ", got ", tok[2], " ", tok[3], "; hint: rotated pairs are not supported yet");
    PosePair p;
    p.name0 = tok[0];
    p.name1 = tok[1];
    for (int i = 0; i < 9; ++i) {
      p.K0(i / 3, i % 3) = std::stod(tok[4 + i]);
      p.K1(i / 3, i % 3) = std::stod(tok[13 + i]);
    }
    Eigen::Matrix4d T;
    for (int i = 0; i < 16; ++i) T(i / 4, i % 4) = std::stod(tok[22 + i]);
    p.R = T.topLeftCorner<3, 3>();
    p.t = T.topRightCorner<3, 1>();
    pairs.push_back(p);
  }
  return pairs;
}

HPatchesReport run_pose_benchmark(const PoseOptions& options) {
  std::vector<PosePair> pairs = read_pose_pairs(options.pairs);
  const features::FeatureReader file(options.predictions);
  HPatchesReport report;
  std::vector<double> errors;
  for (const PosePair& p : pairs) {
    Features f0 = load(file, p.name0), f1 = load(file, p.name1);
    std::vector<Match> m = mutual_nearest_neighbours(f0.descriptors, f1.descriptors);
    Points2 m0(m.size(), 2), m1(m.size(), 2);
    for (size_t k = 0; k < m.size(); ++k) {
      m0.row(k) = f0.keypoints.row(m[k].i1);
      m1.row(k) = f1.keypoints.row(m[k].i2);
    }
    geometry::RelativePose pose = geometry::estimate_relative_pose(
        m0, m1, p.K0, p.K1, options.ransac_threshold, options.confidence, options.seed);
    const double inf = std::numeric_limits<double>::infinity();
    double eR = pose.success ? geometry::rotation_error_deg(pose.R, p.R) : inf;
    double et = pose.success ? geometry::translation_error_deg(pose.t, p.t) : inf;
    PairRecord rec{p.name0 + " " + p.name1, 0, {}};
    rec.values = {{"error_R", eR},
                  {"error_t", et},
                  {"pose_error", std::max(eR, et)},
                  {"num_matches", double(m.size())},
                  {"num_inliers", double(pose.num_inliers)}};
    errors.push_back(std::max(eR, et));
    if (options.progress)
      *options.progress << "speval: " << rec.sequence << " pose error " << std::max(eR, et)
                        << " deg\n";
    report.pairs.push_back(std::move(rec));
  }
  std::vector<double> aucs = error_auc(errors, {5, 10, 20});
  report.summary = {{"num_pairs", double(pairs.size())},
                    {"pose_auc_5", aucs[0]},
                    {"pose_auc_10", aucs[1]},
                    {"pose_auc_20", aucs[2]},
                    {"pose_mAA", (aucs[0] + aucs[1] + aucs[2]) / 3}};
  return report;
}

}  // namespace sp::eval

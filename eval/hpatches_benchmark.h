// HPatches benchmark over exported predictions: hpatches-sequences-release/<seq>/
// {1..6}.ppm + H_1_k, and an HDF5 file with one group "<seq>/<k>" per image holding
// keypoints [N, 2] (x, y, original pixels, integer pixel centres), scores [N] and
// descriptors [N, D] (or [D, N]); optional group attributes processing_width /
// processing_height give the resolution the metrics are computed at (docs/EVALUATION.md).
#pragma once

#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "eval/metrics.h"

namespace sp::eval {

struct HPatchesOptions {
  std::string data_dir;        // hpatches-sequences-release/
  std::string predictions;     // .h5
  std::string subset = "all";  // all | i | v
  bool repeatability = true, homography = true, matching_score = false, nn_map = false;
  int top_k = 1000;
  double threshold = 3.0;         // px: repeatability distance and match correctness
  double ransac_threshold = 3.0;  // px
  uint64_t seed = 0;
  std::ostream* progress = nullptr;  // one line per sequence
  // When set (and descriptors are graded): one match picture per pair,
  // <pictures_dir>/<sequence>_1_<k>.png, at the processing resolution.
  std::string pictures_dir;
};

struct PairRecord {
  std::string sequence;
  int index = 0;  // image k of the pair (1, k)
  std::map<std::string, double> values;
};

struct HPatchesReport {
  std::vector<PairRecord> pairs;
  std::map<std::string, double> summary;  // NaN where undefined
};

HPatchesReport run_hpatches(const HPatchesOptions& options);

// Reads a whitespace-separated 3 x 3 matrix (H_1_k files).
Eigen::Matrix3d read_homography_file(const std::string& path);

std::string report_json(const HPatchesReport& report, const HPatchesOptions& options);
std::string report_table(const HPatchesReport& report);

}  // namespace sp::eval

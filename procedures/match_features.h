// `spmatch OUT`: matches of the features spdetect wrote in OUT (DISK's layout: OUT/
// keypoints.h5 ...; hloc's: OUT/features.h5 or OUT itself), over the pairs of a list or
// every pair of images (DISK's match.py), into DISK's matches.h5 (group <name0>,
// dataset <name1>, int64 [2, K], name0 < name1; matchers.md 6.1) or hloc's (group
// "<name0>/<name1>", matches0 int16 [N], matching_scores0 float16 [N]; 6.3).
//
// --matcher nn: mutual nearest neighbours with Lowe's ratio test applied in both
// directions (match.py: a match is kept when it passes the ratio test both ways and is
// mutual), by the one matcher of features/nearest_neighbor.h, pairs batched (padded)
// on the CPU threads or the GPU. Pairs with fewer than save_threshold matches are not
// written (match.py --save-threshold). A matches file already in the way is an error
// naming it (never overwritten, unless `overwrite`).
//
// --matcher lightglue | superglue --weights FILE: LightGlue (models/lightglue.h, adaptive
// depth and width on, pair by pair) or SuperGlue (models/superglue.h, pairs batched),
// shaped like its weights (.pth in the official layout or sp .h5). Descriptors must have
// the weights' input size; keypoints need their image's size (hloc's image_size, or the
// image itself under --images for DISK's layout); images without keypoints match nothing.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "features/feature_files.h"

namespace sp::procedures {

// The feature file (hloc) or folder (DISK) of spdetect's OUT, and its layout; throws
// naming OUT when it holds neither.
std::pair<std::string, features::FeatureLayout> locate_features(const std::string& out);
// The matches file spmatch writes for features located there by default: matches.h5 in
// the DISK folder or next to hloc's .h5.
std::string default_matches_path(const std::string& feature_file, features::FeatureLayout layout);

struct MatchCommand {
  std::string features;        // OUT of spdetect: a DISK folder, an hloc .h5, or a folder holding
                               // features.h5
  std::string pairs;           // pair list "name0 name1" per line; empty: every pair
  std::string output;          // matches file; empty: next to the features (matches.h5)
  std::string format;          // disk | hloc; empty: the features' layout
  std::string matcher = "nn";  // nn | lightglue | superglue
  std::string weights;         // lightglue, superglue: the weights (.pth or sp .h5), required
  std::string images;          // lightglue, superglue: the images' folder, for image sizes
                               // the features lack (DISK's layout)
  double ratio_threshold = 0.95;  // >= 1: no ratio test
  int64_t save_threshold = 100;   // pairs with fewer matches are not written
  int64_t batch_size = 0;         // pairs per batch; 0: from a memory budget
  bool half = false;              // DISK: uint16 indices (match.py --u16)
  bool overwrite = false;
  std::string device;                // "" = auto
  std::ostream* progress = nullptr;  // progress lines
};

struct MatchReport {
  int64_t pairs = 0;    // matched
  int64_t written = 0;  // with at least save_threshold matches
  int64_t matches = 0;  // in the written pairs
  double seconds = 0;
  std::string output;
};

MatchReport match_features(const MatchCommand& command);

// Every pair (i < j) of sorted names, or the pairs of a list file (names checked against
// `names`, each unordered pair once, in the file's order).
std::vector<std::pair<std::string, std::string>> read_pairs(const std::string& file,
                                                            const std::vector<std::string>& names);
std::vector<std::pair<std::string, std::string>> exhaustive_pairs(std::vector<std::string> names);

// Checks that an existing matches file opens and holds matches of the layout ("disk" |
// "hloc"), naming the file and what is wrong otherwise; returns the number of pairs.
int64_t check_match_file(const std::string& path, const std::string& layout);

}  // namespace sp::procedures

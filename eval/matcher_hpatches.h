// Glue Factory's HPatches protocol for MATCHERS (matchers.md 5.1, 5.2; GF eval/hpatches.py,
// eval/utils.py): every pair (1, k), k = 2..6, of an HPatches folder, matched by a matcher
// (a callback: procedures/matcher_hpatches.h builds it from the model registry) or read
// from a match file, graded in Glue Factory's frame and with its metrics:
//
// - Frame: each image resized so its SHORT side is `resize` (480; GF's ImagePreprocessor:
//   the long side int(resize * long / short)), 0 = original size. Coordinates follow GF's
//   corner convention: a stored keypoint k (integer pixel centres, original pixels) is
//   (k + 0.5) * s with s = resized / original per axis; H' = S_k H S_1^-1, S = diag(s, 1).
// - Per pair: prec@1px / prec@3px (share of matches with symmetric error
//   (|H p0 - p1| + |H^-1 p1 - p0|) / 2 strictly below 1 / 3 px; 0 without matches),
//   num_matches, num_keypoints (mean of both images), H_error_dlt (kornia's weighted DLT
//   over ALL matches, weights = matching scores, then the mean corner error of
//   (0,0), (W,0), (W,H), (0,H) of image 1; fewer than 4 matches or a degenerate fit = +inf),
//   and per RANSAC threshold H_error_ransac (sp's LO-RANSAC, geometry/homography.h; failure
//   = +inf), ransac_inl, ransac_inl%.
// - Summary: AUC at 1/3/5 px of H_error_dlt and H_error_ransac (eval/metrics.h error_auc,
//   not rounded), their mean (mAA); with several thresholds (the sweep) the one with the
//   best H_error_ransac mAA (the first in list order on ties, as GF's max over a dict);
//   medians m<key> of the per-pair numbers (GF) and means avg_<key>.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "eval/hpatches_benchmark.h"
#include "features/features.h"

namespace sp::eval {

// kornia's find_homography_dlt (the one GF's H_error_dlt calls): both point sets
// Hartley-normalised with the weights (weighted centroid and mean radius; uniform when all
// weights are 0), normal equations A^T diag(w) A of the DLT rows, then
//   Lu:  kornia's default, solve (A^T W A) h = 1 (its null vector where that matrix is
//        singular, as with exact correspondences), reshaped;
//   Svd: the eigenvector of its smallest eigenvalue;
// denormalised (T1^-1 H T0) and divided by H(2,2). nullopt with fewer than 4 points or a
// non-finite result.
enum class DltSolver { Lu, Svd };
std::optional<Eigen::Matrix3d> kornia_homography_dlt(const Points2& src, const Points2& dst,
                                                     const Eigen::VectorXd& weights,
                                                     DltSolver solver = DltSolver::Lu);

// GF's sym_homography_error: (|H p0 - p1| + |H^-1 p1 - p0|) / 2 per correspondence.
Eigen::VectorXd symmetric_homography_error(const Eigen::Matrix3d& H, const Points2& p0,
                                           const Points2& p1);

// GF's ImagePreprocessor size (width, height) for a short side of `short_side` (0: as is).
ImageSize glue_factory_resized(ImageSize original, int short_side);

// The matched keypoints of one pair in the evaluation frame, row k of pts0 with row k of
// pts1, and their matching scores (DLT weights).
struct MatchedPoints {
  Points2 pts0, pts1;
  Eigen::VectorXd scores;
  double num_keypoints = 0;  // mean keypoint count of both images
};

struct MatcherEvalOptions {
  std::vector<double> ransac_thresholds = {1.0};  // px; several = the sweep
  // poselib-like MSAC LO-RANSAC (GF's default estimator); threshold set per entry above
  geometry::RansacOptions ransac = geometry::msac_homography_options(1.0);
  DltSolver dlt_solver = DltSolver::Lu;
  bool dlt_uniform_weights = false;  // weights 1 (GF's NN matcher scores every match 1)
};

// One pair: `size0` is the evaluation size of image 1 (corner error). values: prec@1px,
// prec@3px, num_matches, num_keypoints, H_error_dlt, and per threshold index t
// H_error_ransac, ransac_inl, ransac_inl% in `per_threshold[t]`.
struct PairEvaluation {
  std::map<std::string, double> values;
  std::vector<std::map<std::string, double>> per_threshold;
};
PairEvaluation evaluate_matched_pair(const MatchedPoints& m, const Eigen::Matrix3d& H_gt,
                                     ImageSize size0, const MatcherEvalOptions& options);

// Summary of evaluated pairs (the keys of the header comment); `records` get the best
// threshold's per-pair values. `thresholds` as in options.
HPatchesReport summarize_matcher_pairs(std::vector<PairRecord> records,
                                       const std::vector<PairEvaluation>& evaluations,
                                       const std::vector<double>& thresholds);

// A matcher: the matches of image 1's features to image k's, in the evaluation frame
// (ImageFeatures.width/height = that frame). pairs [K, 2] i64 (index in f0, index in f1),
// scores [K] f32.
struct PairMatchIndices {
  Tensor pairs, scores;
};
using MatchFunction = std::function<PairMatchIndices(const features::ImageFeatures& f0,
                                                     const features::ImageFeatures& f1)>;

struct MatcherHPatchesOptions {
  std::string data_dir;        // hpatches-sequences-release/
  std::string features;        // feature file (sp/hloc .h5, or a DISK folder)
  std::string matches;         // optional: precomputed matches (hloc .h5, DISK folder/matches.h5)
  std::string subset = "all";  // all | i | v
  bool ignore_large = true;    // skip GF's 8 large sequences (i_contruction, ...)
  int resize = 480;            // short side of the evaluation frame; 0 = original
  int top_k = 0;               // keep the k best-scored keypoints per image (<= 0: all)
  MatcherEvalOptions eval;
  std::ostream* progress = nullptr;  // one line per sequence
};

// Names an image may have in a feature file: "<seq>/<k>" (sp), "<seq>/<k><ext>" (hloc, as
// spdetect writes for the HPatches folder), "<seq>-<k>" (DISK).
std::vector<std::string> hpatches_feature_names(const std::string& sequence, int k,
                                                const std::string& extension);

// Exactly one of `match` (callable) and options.matches must be given.
HPatchesReport run_matcher_hpatches(const MatcherHPatchesOptions& options,
                                    const MatchFunction& match);

}  // namespace sp::eval

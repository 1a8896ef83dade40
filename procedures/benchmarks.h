// Benchmarks of a model: HPatches (eval/hpatches_benchmark.h) and relative pose
// (eval/pose_benchmark.h) run on the model itself, for `sptrain train --run_benchmarks`
// (Glue Factory's benchmarks.<name>, matchers.md 1.5) and `speval --pose --checkpoint`.
// The model is an extractor (matched by mutual nearest neighbours) or a two_view_pipeline
// (its extractor for HPatches; extractor + matcher for pose).
//
//   [benchmarks.<name>]
//   kind = "hpatches"   data_dir, subset (all), size ([240, 320]), resize (crop | fit),
//                       top_k (1000), threshold (3 px), ransac_threshold (3 px)
//   kind = "pose"       pairs (SuperGlue pair list or a posed-images folder), images (the
//                       folder of a pair list), resize (exact | long | none; default exact
//                       640 x 480, SuperGlue's), resize_size, resize_width, resize_height,
//                       estimator (opencv | lo-ransac), ransac_threshold (1.0 px; a list:
//                       the sweep), max_pairs (0: all)
// Results are "<name>/<metric>" (hpatches: h_correctness_*, repeatability, ...; pose:
// pose_auc_5, pose_auc_10, pose_auc_20, pose_mAA, num_pairs).
#pragma once

#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "data/two_view.h"
#include "eval/pose_benchmark.h"
#include "models/model.h"
#include "train/config.h"
#include "train/trainer.h"

namespace sp::procedures {

struct ModelPoseOptions {
  std::string pairs, images;
  data::ResizeConfig resize;  // before the extractor; padded to its multiple
  eval::PoseEvalOptions eval;
  int64_t max_pairs = 0;
  std::string save_matches;  // eval::save_pair_matches layout (poselib checks)
  std::ostream* progress = nullptr;
};

// Pose benchmark of the model's matches (keypoints mapped back to original pixels).
eval::HPatchesReport model_pose_benchmark(models::Model& model, const ModelPoseOptions& options);

struct BenchmarkSpec {
  std::string name, kind;
  eval::HPatchesOptions hpatches;
  std::array<int64_t, 2> hpatches_size{240, 320};
  std::string hpatches_resize = "crop";
  ModelPoseOptions pose;
};

// The [benchmarks] tables of `config` (strict keys: an unknown one names itself).
std::vector<BenchmarkSpec> read_benchmarks(const train::Config& config);
// One benchmark's summary, keys prefixed with "<name>/".
std::map<std::string, double> run_benchmark(models::Model& model, const BenchmarkSpec& spec);
// The trainer's hook for --run_benchmarks (throws when the config has no benchmarks).
train::BenchmarkHook benchmark_hook(const train::Config& config);

}  // namespace sp::procedures

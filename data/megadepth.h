// MegaDepth in its public layout (Glue Factory's datasets/megadepth.py, matchers.md 3.3):
//   <root>/Undistorted_SfM/<scene>/images/*.jpg           images
//   <root>/depth_undistorted/<scene>/<image stem>.h5      dataset /depth, f32, 0 = invalid
//   <root>/scene_info/<scene>.npz                         image_paths, depth_paths (None for
//       unusable images), intrinsics (3x3), poses (4x4 world -> camera), overlap_matrix
// scene_info is read natively (data/npy.h). A missing key is an error naming the file and
// the key; image paths are relative to <root>.
//
// Pairs: with num_per_scene > 0, Glue Factory's overlap-bin sampling, re-drawn every epoch
// from seed + epoch: (min_overlap, max_overlap] split into num_overlap_bins bins; a bin with
// fewer than 2 * (num_per_scene / bins) candidates is skipped and the budget re-split over
// the others; each kept bin gives num_per_scene / kept random pairs (all when it has
// fewer); the list is shuffled. With num_per_scene <= 0: every pair in the range. With
// pairs_file (validation, Glue Factory's valid_pairs.txt: "<scene>/images/a.jpg
// <scene>/images/b.jpg" per line): those pairs; a line naming an image the scene_info lacks
// is skipped and counted (skipped_pairs(), and a warning line on stderr).
#pragma once

#include <string>
#include <vector>

#include "data/posed_pairs.h"

namespace sp::data {

struct MegaDepthConfig {
  std::string root;  // the folder holding Undistorted_SfM/, depth_undistorted/, scene_info/
  std::string image_subpath = "Undistorted_SfM/";
  std::string depth_subpath = "depth_undistorted/";
  std::string info_dir = "scene_info/";
  std::vector<std::string> scenes;  // scene names ("0015"); empty: every scene_info/*.npz
  int64_t num_per_scene = 300;
  double min_overlap = 0.1, max_overlap = 0.7;
  int64_t num_overlap_bins = 3;
  std::string pairs_file;  // fixed pairs instead of sampling
  uint64_t seed = 0;
  PosedPairsOptions posed;  // resize (Glue Factory: long 1024, pad square), depth, cache
};

class MegaDepthDataset : public PosedPairDataset {
 public:
  explicit MegaDepthDataset(const MegaDepthConfig& config);
  // Re-draws the sampled pairs with seed + epoch (no-op for fixed pairs).
  void begin_epoch(int64_t epoch) const override;
  int64_t skipped_pairs() const { return skipped_pairs_; }
  const std::vector<std::string>& scene_names() const { return scenes_.names; }

  // The scenes' views and overlap matrices, as read from scene_info (views of unusable
  // images are left out; overlap indices are view indices).
  struct Scenes {
    std::vector<std::string> names;
    std::vector<PosedView> views;
    std::vector<std::vector<int64_t>> view_ids;             // per scene: its views
    std::vector<std::vector<std::vector<double>>> overlap;  // per scene: [n][n] of its views
  };
  static Scenes read_scenes(const MegaDepthConfig& config);
  // The pairs drawn with `seed` (the sampling described above).
  static std::vector<PosedPair> sample_pairs(const Scenes& scenes, const MegaDepthConfig& config,
                                             uint64_t seed);

 private:
  struct Init {
    Scenes scenes;
    std::vector<PosedPair> pairs;
    int64_t skipped = 0;
  };
  static Init prepare(const MegaDepthConfig& config);
  MegaDepthDataset(const MegaDepthConfig& config, Init init);

  MegaDepthConfig config_;
  Scenes scenes_;
  int64_t skipped_pairs_ = 0;
};

}  // namespace sp::data

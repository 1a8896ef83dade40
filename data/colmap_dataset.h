// A COLMAP reconstruction and its images as posed pairs (DISK's colmap2dataset idea):
// every registered image is a view (its camera's intrinsics, its pose), and two images
// form a pair when they share enough triangulated points. Co-visibility of (i, j) =
// shared points / min(points seen by i, points seen by j), in [0, 1]; pairs need
// min_shared points and a co-visibility in (min_overlap, max_overlap]. Depth is optional:
// <depth_dir>/<image name without extension>.h5 (dataset /depth, the image's size) when
// depth_dir is set, else each view's triangulated observations give a sparse depth map
// (data/posed_pairs.h), so depth ground truth (geometry/gt_matches.h) labels keypoints
// that sit on reconstructed points. Cameras with distortion are taken as undistorted
// pinholes: undistort first (colmap image_undistorter) when it matters.
#pragma once

#include <string>

#include "data/colmap.h"
#include "data/posed_pairs.h"

namespace sp::data {

struct ColmapDatasetConfig {
  std::string model_dir;  // cameras/images/points3D (.bin or .txt)
  std::string image_dir;  // images by their COLMAP name
  std::string depth_dir;  // optional dense depth maps
  int64_t min_shared = 20;
  double min_overlap = 0.0, max_overlap = 1.0;
  bool both_orders = false;  // (i, j) and (j, i); else i < j
  PosedPairsOptions posed;
};

class ColmapPairDataset : public PosedPairDataset {
 public:
  explicit ColmapPairDataset(const ColmapDatasetConfig& config);
  ColmapPairDataset(const ColmapDatasetConfig& config, const Reconstruction& reconstruction);
  // The reconstruction's image id of each view (views() order).
  const std::vector<int64_t>& image_ids() const { return image_ids_; }

  struct Built {
    std::vector<PosedView> views;
    std::vector<PosedPair> pairs;
    std::vector<int64_t> image_ids;
  };
  static Built build(const ColmapDatasetConfig& config, const Reconstruction& reconstruction);

 private:
  ColmapPairDataset(const ColmapDatasetConfig& config, Built built);
  std::vector<int64_t> image_ids_;
};

}  // namespace sp::data

// Pairs of posed images (intrinsics, world -> camera poses, optional depth): the data of
// MegaDepth (data/megadepth.h), COLMAP scenes (data/colmap_dataset.h) and the pose
// benchmarks' posed-images layout. Samples carry the keys of data/two_view.h: image0/1,
// image_size0/1, K0/1, T_0to1, depth0/1 (with depth), overlap, scene, index0/1, scales0/1.
//
// Depth: a view's depth file is HDF5 with the dataset "/depth" (MegaDepth's layout), the
// size of its image (else an error naming the file); 0 = invalid. A view without a depth
// file but with `sparse` points (COLMAP's triangulated observations) gets a sparse depth
// map: each point's depth at its nearest pixel, 0 elsewhere.
//
// Feature cache (Glue Factory's CacheLoader, procedures/feature_export.h): with
// options.cache, keypoints<i>, keypoint_scores<i> and descriptors<i> of each view come
// from that feature file (group = the view's name), keypoints scaled from original to
// resized pixels, and images are not read unless options.read_images (then image<i> is
// absent: the two-view pipeline skips extraction for cached views).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "data/datasets.h"
#include "data/two_view.h"

namespace sp::data {

class CacheFile;

struct PosedView {
  std::string name;           // unique within the dataset ("<scene>/<image file>"): cache groups
  std::string image;          // path
  std::string depth;          // path of an HDF5 depth map, "" = none
  Mat3 K = Mat3::Identity();  // pixel-centre intrinsics of the image file
  Mat3 R = Mat3::Identity();  // world -> camera
  Eigen::Vector3d t = Eigen::Vector3d::Zero();
  int64_t width = 0, height = 0;        // of the image file; 0 = read from the image
  std::vector<Eigen::Vector3d> sparse;  // (x, y, depth) in image pixels: sparse depth
};

struct PosedPair {
  int64_t scene = 0;
  int64_t view0 = 0, view1 = 0;  // indices into the dataset's views
  double overlap = 1;
};

struct PosedPairsOptions {
  ResizeConfig resize;
  bool gray = true;
  bool read_depth = true;
  std::string cache;        // feature file of the views ("" = none)
  bool read_images = true;  // with a cache: false skips image decoding entirely
};

class PosedPairDataset : public Dataset {
 public:
  PosedPairDataset(std::vector<PosedView> views, std::vector<PosedPair> pairs,
                   PosedPairsOptions options);
  ~PosedPairDataset() override;

  int64_t size() const override;
  Sample get(int64_t index, uint64_t seed) const override;

  const std::vector<PosedView>& views() const { return views_; }
  std::vector<PosedPair> pairs() const;
  const PosedPairsOptions& options() const { return options_; }

 protected:
  // Replaces the pair list (begin_epoch of a re-drawing dataset); the size must not change.
  void set_pairs(std::vector<PosedPair> pairs) const;

 private:
  // One view's part of a sample, keys suffixed with `suffix`.
  void read_view(const PosedView& view, const std::string& suffix, Sample& out) const;

  std::vector<PosedView> views_;
  mutable std::vector<PosedPair> pairs_;
  mutable std::mutex mu_;
  PosedPairsOptions options_;
  std::shared_ptr<CacheFile> cache_;
};

// The posed-images layout of Glue Factory (MegaDepth-1500, matchers.md 5.3): <root>/images/,
// <root>/views.txt (`name R(9) t(3) MODEL W H params...`, world -> camera, COLMAP camera),
// <root>/pairs.txt (`name0 name1`), optional <root>/depths/<stem>.h5. A pair naming a view
// absent from views.txt is skipped and counted (`skipped`), with a line on stderr.
struct PosedImages {
  std::vector<PosedView> views;
  std::vector<PosedPair> pairs;
  std::vector<std::string> pair_lines;  // "<pairs.txt>:<line>" of each pair
  int64_t skipped = 0;
};
PosedImages read_posed_images(const std::string& root);

// T_0to1 of two world -> camera poses.
Eigen::Matrix4d relative_pose(const PosedView& v0, const PosedView& v1);
// Reads an HDF5 depth map (dataset "depth"), [H, W] f32.
Tensor read_depth_map(const std::string& path);

}  // namespace sp::data

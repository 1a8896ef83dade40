// Datasets: Synthetic Shapes, image folders (COCO, KITTI raw), HPatches, exported
// keypoint labels, and the warped-pair sampler of joint training.
//
// A sample is a named map of CPU tensors with fixed shapes per dataset, so the loader
// can stack them (data/loader.h). get(index, seed) is a pure function of its arguments;
// the loader passes seed = base_seed + index (see Loader).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "data/homography.h"
#include "data/photometric.h"
#include "data/shapes_cache.h"
#include "data/synthetic_shapes.h"
#include "tensor/tensor.h"

namespace sp::data {

using Sample = std::map<std::string, Tensor>;

class Dataset {
 public:
  virtual ~Dataset() = default;
  virtual int64_t size() const = 0;
  virtual Sample get(int64_t index, uint64_t seed) const = 0;
  // Called by Loader::start_epoch before any sample of `epoch` is read (no other call
  // runs meanwhile): datasets that re-draw their items per epoch (MegaDepth's overlap
  // bins) do it here, as a pure function of the epoch. size() must not change.
  virtual void begin_epoch(int64_t epoch) const { (void)epoch; }
};

// Keypoint label map [1, H, W] (1 at round(p), clamped) and residuals [2, H, W]
// (p - round(p), x then y) from points [N, 2] (x, y) (spec 1.5 step 2).
void points_to_labels(const Tensor& points, int64_t height, int64_t width, Tensor& labels,
                      Tensor& residuals);

// Augmentation shared by the datasets.
struct AugmentConfig {
  bool photometric = false;
  PhotometricParams photometric_params;
  bool homographic = false;
  HomographyParams homography_params;
  int valid_border_margin = 2;
};

// Applies spec 1.5 steps 3-5 to an image [C, H, W] and its points: photometric, then
// homographic (warped(p) = img(H_s p), points mapped with inv(H_s)). Returns image,
// labels_2D, labels_res, valid_mask and homography ([3, 3] f32, pixel frame,
// source -> augmented).
Sample augment_sample(const Tensor& image, const Tensor& points, const AugmentConfig& cfg,
                      uint64_t seed);

// The joint-training pair (spec 3.3, 10 COCO loader): image (photometric), warped_image
// (warp of the clean image, then its own photometric), labels for both, valid masks,
// homography (image -> warped, pixel frame) and inv_homography.
Sample warped_pair(const Tensor& image, const Tensor& points, const AugmentConfig& cfg,
                   uint64_t seed);

class SyntheticShapesDataset : public Dataset {
 public:
  // Concatenates every primitive's (truncated) split and shuffles with Rng({data_seed, split}).
  SyntheticShapesDataset(ShapesConfig shapes, Split split, AugmentConfig augment,
                         uint64_t data_seed = 0,
                         std::vector<Primitive> primitives = all_primitives());
  int64_t size() const override { return int64_t(items_.size()); }
  Sample get(int64_t index, uint64_t seed) const override;
  std::pair<Primitive, int64_t> item(int64_t index) const { return items_[size_t(index)]; }
  // Renders every sample of this split once (ShapesStore) and serves them from memory:
  // images become u8 like the reference's PNG cache. With `dir`, the stores are also
  // kept on disk and reused by later runs with the same generation parameters.
  void cache(const std::string& dir = "", int threads = 0, bool verbose = false);

 private:
  ShapesConfig shapes_;
  Split split_;
  AugmentConfig augment_;
  uint64_t data_seed_;
  std::vector<std::pair<Primitive, int64_t>> items_;
  std::map<Primitive, std::shared_ptr<const ShapesStore>> stores_;
};

// Exported keypoint labels (homography adaptation): one HDF5 file per image with the
// dataset "points" [N, 3] f32 (x, y, prob), sorted by descending prob.
void write_keypoint_labels(const std::string& path, const Tensor& points);
Tensor read_keypoint_labels(const std::string& path);

// Images under a folder. Layouts: "coco" -> <root>/COCO/<split>2014/*.jpg|png (split
// "train" or "val"); "kitti" -> <root>/KITTI/**/image_02/data/*.png; "folder" -> every
// image below <root> (recursively). Sorted paths. Images are read as gray, resized to
// `size` (H, W) with INTER_AREA (aspect not kept, as [PS]). An image's label name is its
// path below the layout's image folder without the extension (COCO: "<stem>"; KITTI:
// "<date>/<drive>/image_02/data/<frame>", since frame names repeat across drives). With
// labels_dir, only images with <labels_dir>/<label name>.h5 are kept, and samples carry
// labels (and, with pairs, the warped pair of warped_pair()).
struct ImageFolderConfig {
  std::string root;
  std::string layout = "folder";  // coco | kitti | folder
  std::string split = "train";    // coco: train | val
  std::array<int64_t, 2> size{240, 320};
  std::string labels_dir;  // optional
  bool pairs = false;
  AugmentConfig augment;
};

class ImageFolderDataset : public Dataset {
 public:
  explicit ImageFolderDataset(ImageFolderConfig cfg);
  int64_t size() const override { return int64_t(paths_.size()); }
  Sample get(int64_t index, uint64_t seed) const override;
  const std::string& path(int64_t index) const { return paths_[size_t(index)]; }
  // The image's path below the image folder, without extension, '/'-separated.
  std::string label_name(int64_t index) const;

 private:
  std::string relative_name(const std::string& image_path) const;  // label_name of a path
  std::string label_path(const std::string& image_path) const;     // <labels_dir>/<name>.h5

  ImageFolderConfig cfg_;
  std::string image_dir_;  // the folder label names are relative to
  std::vector<std::string> paths_;
};

// HPatches pairs (1, k), k = 2..6, of every sequence in <root>/hpatches-sequences-release
// (or <root>/HPatches). alteration: "all", "i" or "v". Images gray, resized with the [TF]
// policy (spec 9.1): scale s = max(target / shape) per image, bilinear, center crop; the
// homography is adapted for each image's own scale and crop. Samples: image, warped_image
// [1, H, W] and homography [3, 3] f32 (image -> warped pixels).
class HPatchesDataset : public Dataset {
 public:
  HPatchesDataset(const std::string& root, std::string alteration = "all",
                  std::array<int64_t, 2> size = {240, 320});
  int64_t size() const override { return int64_t(pairs_.size()); }
  Sample get(int64_t index, uint64_t seed) const override;
  std::string name(int64_t index) const;

 private:
  std::string dir_;
  std::array<int64_t, 2> size_;
  std::vector<std::pair<std::string, int>> pairs_;  // (sequence, k)
};

// Reads a whitespace-separated 3x3 text matrix (HPatches H_1_k).
Mat3 read_homography_text(const std::string& path);
// [TF] HPatches resize: ratio-preserving bilinear resize + center crop to `size`; returns
// the image and the 3x3 mapping original pixels to output pixels.
Tensor resize_and_crop(const Tensor& image, std::array<int64_t, 2> size, Mat3& transform);

}  // namespace sp::data

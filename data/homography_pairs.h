// Homography pairs over any image folder (Glue Factory's datasets/homographies.py idea,
// matchers.md 3.3 stage 1): each image (recursively below `root`, sorted) is resized to
// `size` (H, W), then two views are warped from it by independent random homographies
// (data/homography.h sampling, `homography` parameters), each with its own photometric
// augmentation when enabled. Sample keys (data/two_view.h): image0, image1 [C, H, W],
// image_size0/1 [2] (W, H), H_0to1 [3, 3] f32 mapping view-0 pixels to view-1 pixels.
// Everything is a pure function of (image, seed). A file that cannot be read is an error
// naming it (the loader names the sample).
#pragma once

#include <array>
#include <memory>
#include <string>

#include "data/datasets.h"

namespace sp::data {

struct HomographyPairsConfig {
  std::string root;
  std::array<int64_t, 2> size{480, 640};  // (H, W) of both views
  bool gray = true;
  HomographyParams homography = HomographyParams::warped_pair();
  bool photometric = false;
  PhotometricParams photometric_params;
};

class HomographyPairDataset : public Dataset {
 public:
  explicit HomographyPairDataset(HomographyPairsConfig config);
  int64_t size() const override;
  Sample get(int64_t index, uint64_t seed) const override;
  const std::string& path(int64_t index) const;

 private:
  HomographyPairsConfig config_;
  std::shared_ptr<ImageFolderDataset> folder_;  // the listing
};

}  // namespace sp::data

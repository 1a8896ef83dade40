// Homography Adaptation (superpoint.md section 6) and the pseudo-label export of
// [PS] `export.py export_detector_homoAdapt`.
//
// For one image: N homographies (index 0 the identity, the others sampled with
// HomographyParams::adaptation(), seeded per image), the N warped copies run through the
// detector as one batch on the model's device, each probability map (times its warped-
// frame valid mask) is warped back with the inverse homography, and the maps are
// aggregated in the original frame; then NMS, threshold, border, top-k and the optional
// sub-pixel refinement give the label points [N, 3] (x, y, prob).
//
// Decisions (spec 10.1 item 12): the default is [PS]'s masked mean,
//   P(q) = sum_i U_i[P_i M_i](q) / sum_i U_i[M_i](q),
// with U_i a bilinear warp back to the original frame and M_i the (eroded) valid mask of
// view i; "max" takes the maximum of the unwarped masked maps instead ([TF]'s option).
// filter_counts > 0 zeroes pixels seen by fewer views ([TF]).
#pragma once

#include <cstdint>
#include <ostream>
#include <string>

#include "data/datasets.h"
#include "data/homography.h"
#include "models/superpoint.h"
#include "tensor/tensor.h"

namespace sp::procedures {

struct HomographyAdaptationConfig {
  int64_t num = 100;  // views, index 0 the identity
  data::HomographyParams homographies = data::HomographyParams::adaptation();
  int valid_border_margin = 0;      // erosion radius of the valid masks ([PS] 0, [TF] 3)
  std::string aggregation = "sum";  // "sum" (masked mean, [PS]/[TF] 'sum') | "max"
  double filter_counts = 0.0;       // > 0: zero pixels whose view count is below it
  int64_t batch_size = 0;           // views per forward; 0 = all N in one batch
  models::DetectConfig detect;      // threshold, NMS, border, top-k on the aggregate
  bool subpixel = false;            // 5x5 heatmap centroid (spec 8.3)
  uint64_t seed = 0;

  void validate() const;
};

// [PS] HA export defaults (spec 6.1): 100 views, grid NMS 4, threshold 0.015, border 4,
// top-k 600, sub-pixel refinement, no erosion.
HomographyAdaptationConfig ps_export_defaults();

// [N, 3, 3] f64 CPU pixel-frame homographies (output -> input: warped(p) = image(H p))
// for an image of height x width; index 0 is the identity. Deterministic in `seed`.
Tensor sample_adaptation_homographies(const HomographyAdaptationConfig& config, int64_t height,
                                      int64_t width, uint64_t seed);

// The aggregated heatmap [1, 1, H, W] of `image` [1, 1, H, W] (on the model's device)
// under `homographies` [N, 3, 3] (any device; moved to the image's). No gradients.
Tensor adapted_heatmap(models::SuperPoint& model, const Tensor& image, const Tensor& homographies,
                       const HomographyAdaptationConfig& config);

// Points [K, 3] f32 CPU (x, y, prob) of a heatmap [1, 1, H, W] or [H, W]: NMS, threshold,
// border and top-k of `detect` (max-pool NMS on the heatmap's device, grid NMS on the
// CPU), then the optional sub-pixel centroid. Sorted by descending prob.
Tensor heatmap_points(const Tensor& heatmap, const models::DetectConfig& detect, bool subpixel);

// One image: sample (seed), aggregate, extract. Returns [K, 3] f32 CPU.
Tensor homography_adaptation(models::SuperPoint& model, const Tensor& image,
                             const HomographyAdaptationConfig& config, uint64_t seed);

// A per-image seed from the run seed and the image's stem (stable across resumes and
// folder changes).
uint64_t image_seed(uint64_t seed, const std::string& stem);

struct DetectorExportOptions {
  data::ImageFolderConfig images;  // root, layout, split, size (photometric stays off)
  std::string output_dir;          // <exper>/<name>/predictions/<split>
  std::string pictures_dir;        // non-empty: a PNG with the points per image
  HomographyAdaptationConfig adaptation;
  int64_t limit = -1;             // at most this many images (-1 = all)
  std::string model_description;  // appended to export.txt
  bool progress = true;           // progress line on stderr
};

struct DetectorExportSummary {
  int64_t images = 0, written = 0, skipped = 0, failed = 0;
  double seconds = 0;
  // The first image also pays for start-up work (cuDNN's algorithm search, allocator
  // growth): the rate of the images after it is the steady one.
  double first_image_seconds = 0;
  double images_per_second() const { return seconds > 0 ? double(written) / seconds : 0.0; }
  double steady_images_per_second() const {
    const double rest = seconds - first_image_seconds;
    return written > 1 && rest > 0 ? double(written - 1) / rest : 0.0;
  }
};

// Writes <output_dir>/<label name>.h5 (ImageFolderDataset::label_name: the image path below
// the image folder; data::write_keypoint_labels, atomically) for every image
// that has no label file yet (so an interrupted export resumes). An image that fails is
// reported on stderr with its file name and counted; the others go on.
DetectorExportSummary export_detector_labels(models::SuperPoint& model,
                                             const DetectorExportOptions& options);

// A [3, H, W] RGB picture of a gray image [1, H, W] with the points drawn in red.
Tensor draw_points(const Tensor& image, const Tensor& points);

}  // namespace sp::procedures

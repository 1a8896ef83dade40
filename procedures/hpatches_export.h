// [PS] `export.py export_descriptor` in the layout speval reads (docs/EVALUATION.md): an
// extractor runs over every image of hpatches-sequences-release/<seq>/{1..6}.* and one
// sp feature file (features/feature_files.h) gets a group "<seq>/<k>" per image with
// keypoints [N, 2] (x, y in ORIGINAL image pixels), scores [N] and, for a model with
// descriptors, descriptors [N, D], plus the group attributes processing_width /
// processing_height, so speval grades at the processing resolution. A detector-only
// model (MagicPoint) writes keypoints and scores: enough for repeatability and MLE.
//
// Resizing (spec 9.1): "crop" is [TF]'s policy (ratio-preserving bilinear resize by
// s = max(target / shape), centre crop to the target); the attributes then name the
// uncropped resized size, so speval's frame equals the one the model saw (points only
// exist inside the crop). "fit" resizes the whole image by the same s, rounded to
// multiples of the model's image_size_multiple(), and crops nothing.
#pragma once

#include <array>
#include <cstdint>
#include <ostream>
#include <string>

#include "models/extractor.h"

namespace sp::procedures {

struct HPatchesExportOptions {
  std::string data_dir;        // hpatches-sequences-release/ (or a folder holding it)
  std::string output;          // predictions .h5, written atomically
  std::string subset = "all";  // all | i | v
  std::array<int64_t, 2> size{
      240, 320};                // target (H, W), multiples of the model's image_size_multiple()
  std::string resize = "crop";  // crop | fit
  std::ostream* progress = nullptr;  // one line per sequence
};

// The HPatches folder under data_dir (data_dir itself when it holds i_*/v_* sequences).
std::string hpatches_sequences_dir(const std::string& data_dir);

// Runs the model (no gradients, its own post-processing) on every image and writes
// `options.output`. Returns the number of images written.
int64_t export_hpatches_predictions(models::Extractor& model, const HPatchesExportOptions& options);

}  // namespace sp::procedures

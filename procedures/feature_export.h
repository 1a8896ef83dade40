// Features of an extractor for a list of images in one HDF5 feature file (Glue Factory's
// export_megadepth + export_predictions, matchers.md 1.7): the sp layout
// (features/feature_files.h), a group per image name with keypoints [N, 2] in ORIGINAL
// image pixels, scores [N], descriptors [N, D] (f32, or f16 with half as Glue Factory's
// as_half), and the group attributes original_width / original_height /
// processing_width / processing_height. The file's root attributes name where the
// features came from: extractor_config (the [model] TOML of the extractor), extractor
// (its name), resize (the preprocessing), so a cache is never mistaken for another's.
//
// The cache serves two-view datasets (data/posed_pairs.h: data.cache), which then load
// keypoints0, descriptors0, ... instead of images, and the pose benchmark of a model
// (speval --pose --checkpoint).
//
// sptrain export_features CONFIG NAME [a.b=value ...] exports the features of every view of
// the config's [data] dataset (megadepth, colmap_pairs, posed_images) with the config's
// [model.extractor] into <experiment>/features.h5 (or export.output).
#pragma once

#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "data/two_view.h"
#include "models/extractor.h"
#include "procedures/commands.h"

namespace sp::procedures {

struct FeatureExportOptions {
  std::string output;            // .h5, written atomically
  data::ResizeConfig resize;     // before the extractor (padding added for its multiple)
  bool half = false;             // float16 storage
  std::string extractor_config;  // recorded in the file (root attribute extractor_config)
  std::string extractor_name;
  std::ostream* progress = nullptr;  // a line every 50 images and at the end
};

// (name, image path) pairs; names are unique (the file's groups). Returns images written.
int64_t export_features(models::Extractor& extractor,
                        const std::vector<std::pair<std::string, std::string>>& images,
                        const FeatureExportOptions& options);

// What a cache records about its extractor (root attributes; "" when absent).
struct CacheInfo {
  std::string extractor, extractor_config, resize;
};
CacheInfo read_cache_info(const std::string& path);
// The resize as one line ("long 1024 pad square").
std::string describe_resize(const data::ResizeConfig& resize);

// `sptrain export_features CONFIG NAME`: the [data] dataset's views (its images, read
// with the dataset's resize) through [model.extractor] (weights model.extractor.pretrained
// or model.pretrained) into export.output (default <experiment>/features.h5).
void export_dataset_features(const ExportCommand& command);

}  // namespace sp::procedures

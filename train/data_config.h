// The "data" table of an experiment: which dataset, its generation/augmentation
// parameters, and the train/validation datasets built from it.
//
//   [data]
//   name = "synthetic_shapes"          # or "image_folder"
//   resize = [120, 160]                # synthetic_shapes; image_folder uses size
//   split_sizes = [10000, 200, 500]    # samples per primitive (train, val, test)
//   cache = true                       # render every sample once (worker threads)
//   [data.photometric]  enable, preset ("synthetic_shapes" | "superpoint_coco" |
//                       "magicpoint_coco"), and any PhotometricParams field
//   [data.homographic]  enable, preset ("synthetic_shapes" | "warped_pair" |
//                       "adaptation"), any HomographyParams field, valid_border_margin
// Validation data is never augmented unless data.augment_val = true ([PS] enable_val).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "data/datasets.h"
#include "train/config.h"

namespace sp::train {

struct DataSets {
  std::shared_ptr<const data::Dataset> train;
  std::shared_ptr<const data::Dataset> val;  // null: no validation data
  std::string description;                   // one line for the log
};

struct DataOptions {
  bool verbose = true;  // progress of cache rendering on stderr
  bool train = true;    // false: only the validation split is used (no train cache)
  // Image sides must be multiples of this (the model's image_size_multiple()), checked
  // when the config is read; `model` names the model in the error.
  int64_t size_multiple = 1;
  std::string model;
};

// Reads the data table through `reader` (strict keys) and builds the datasets named by
// <table>.name; a synthetic cache is rendered here.
DataSets make_datasets(ConfigReader& reader, const DataOptions& options = {},
                       const std::string& table = "data");

// Datasets by name: builtin "synthetic_shapes" and "image_folder"; other layers (apps,
// tests) add theirs. A factory reads its keys under `table` through the reader.
using DatasetFactory = std::function<DataSets(ConfigReader& reader, const std::string& table,
                                              const DataOptions& options)>;
void register_dataset(const std::string& name, DatasetFactory factory);
// The two-view datasets (train/two_view_data.cpp): homography_pairs, megadepth,
// colmap_pairs, posed_images; part of the builtin registry.
std::map<std::string, DatasetFactory> two_view_datasets();
std::vector<std::string> registered_datasets();

// The augmentation of <table>.photometric / <table>.homographic.
data::AugmentConfig read_augment(ConfigReader& reader, const std::string& table);

}  // namespace sp::train

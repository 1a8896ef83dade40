// The export commands of sptrain, in [PS]'s CLI shape (superpoint.md 10: `export.py
// {export_detector_homoAdapt|export_descriptor} <config> <exper>`):
//   sptrain export_detector_homoAdapt CONFIG NAME [a.b=value ...] [--pictures] [--device D] [--limit N] [--tf32]
//   sptrain export_descriptor CONFIG NAME [a.b=value ...] [--device D] [--tf32]
//   sptrain train_joint CONFIG NAME [a.b=value ...] [--restore] [--overfit] [--overwrite]
//     (SuperPoint on an image folder with HA labels, pairs warped on the fly: the
//     trainer's "image_folder" dataset with labels_dir and pairs = true,
//     configs/superpoint_coco.toml)
// and the model loading they share with speval (--checkpoint/--experiment).
//
// Config tables (configs/magicpoint_coco_export.toml, configs/superpoint_hpatches_export.toml):
//   [model]  name (magicpoint | superpoint), pretrained (weights file), the SuperPoint
//            keys (models/superpoint.h; detection_threshold, nms, nms_radius, border,
//            top_k are the post-processing), bn_batch_statistics ([PS]: BN never in eval)
//   [data]   dataset (coco | kitti | folder), root ($SP_DATA_PATH-relative), split, size,
//            for HPatches: alteration, resize (crop | fit)
//   [homography_adaptation]  num, aggregation, filter_counts, valid_border_margin,
//            batch_size, subpixel, seed, and [homography_adaptation.homographies] with the
//            HomographyParams fields.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "models/superpoint.h"
#include "tensor/device.h"
#include "train/config.h"
#include "train/export_descriptor.h"
#include "train/homography_adaptation.h"

namespace sp::train {

// $SP_DATA_PATH, else "data".
std::string data_root();
// `path` when absolute or empty-rooted elsewhere; relative paths join data_root().
std::string resolve_data_path(const std::string& path);

// cuda:0 when a GPU is usable, else cpu.
Device default_device();

struct InferenceModel {
  std::shared_ptr<models::SuperPoint> model;
  Device device = kCPU;
  std::string weights;  // empty: random initialization
  bool batch_statistics = false;
  std::string description;  // "<name> <weights>"

  // Loads the weights (sp checkpoint / state-dict .h5 or PyTorch .pth, strict), moves the
  // model to `device` and sets eval mode unless batch_statistics.
  void load();
};

// Builds the model of the config's [model] table (model.name unless `name` is given)
// with `weights` (or model.pretrained) and model.bn_batch_statistics, reading its keys
// through `reader`. Call reader.finish() (strict keys), then load().
InferenceModel load_inference_model(ConfigReader& reader, const std::string& name, const std::string& weights,
                                    Device device);

// An experiment folder's model: <experiments_root>/<name>/config.toml and the checkpoint
// load_experiment would read (best, else latest). Unknown config tables are ignored.
InferenceModel load_experiment_model(const std::string& experiment, Device device);

// The HA settings of a config ([homography_adaptation] table); post-processing from
// the model's detect config.
HomographyAdaptationConfig read_adaptation_config(ConfigReader& reader, const models::SuperPointConfig& model);
// The HPatches export settings of a config ([data] table).
DescriptorExportOptions read_descriptor_export_config(ConfigReader& reader, const models::SuperPointConfig& model);

// The commands: argv[0] is the command name; return the process exit status and print
// errors as one line on stderr.
int export_detector_homoAdapt(int argc, char** argv);
int export_descriptor(int argc, char** argv);
int train_joint(int argc, char** argv);

}  // namespace sp::train

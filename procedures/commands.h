// The export procedures behind sptrain's [PS]-shaped commands (superpoint.md 10:
// `export.py {export_detector_homoAdapt|export_descriptor} <config> <exper>`) and the
// model loading they share with speval (--checkpoint / --experiment). apps/ parses the
// command lines into these structs.
//
// Config tables (configs/magicpoint_coco_export.toml, configs/superpoint_hpatches_export.toml):
//   [model]  name (magicpoint | superpoint | any extractor), pretrained (weights file),
//            the model's keys (models/superpoint.h: detection_threshold, nms, nms_radius,
//            border, top_k are the post-processing), bn_batch_statistics ([PS]: BN never
//            in eval)
//   [data]   dataset (coco | kitti | folder), root ($SP_DATA_PATH-relative), split, size,
//            for HPatches: alteration, resize (crop | fit)
//   [homography_adaptation]  num, aggregation, filter_counts, valid_border_margin,
//            batch_size, subpixel, seed, and [homography_adaptation.homographies] with the
//            HomographyParams fields.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "models/extractor.h"
#include "models/superpoint.h"
#include "procedures/homography_adaptation.h"
#include "procedures/hpatches_export.h"
#include "tensor/device.h"
#include "train/config.h"

namespace sp::procedures {

// "" or "auto": cuda:0 when a GPU is usable, else cpu; otherwise the device named.
Device parse_device(const std::string& spec);

struct InferenceModel {
  std::shared_ptr<models::Extractor> model;
  Device device = kCPU;
  std::string weights;  // empty: random initialization
  bool batch_statistics = false;
  std::string description;  // "<name> <weights>"

  // Loads the weights (sp checkpoint / state-dict .h5 or PyTorch .pth, strict), moves the
  // model to `device` and sets eval mode unless batch_statistics.
  void load();
};

// Builds the extractor of the config's [model] table (model.name unless `name` is
// given) with `weights` (or model.pretrained) and model.bn_batch_statistics, reading its
// keys through `reader`. Call reader.finish() (strict keys), then load().
InferenceModel load_inference_model(train::ConfigReader& reader, const std::string& name,
                                    const std::string& weights, Device device);

// An experiment folder's model: <experiments_root>/<name>/config.toml and the checkpoint
// load_experiment would read (best, else latest), loaded. Unknown config tables are ignored.
InferenceModel load_experiment_model(const std::string& experiment, Device device);

// The HA settings of a config ([homography_adaptation] table); post-processing from
// the model's detect config.
HomographyAdaptationConfig read_adaptation_config(train::ConfigReader& reader,
                                                  const models::SuperPointConfig& model);
// The HPatches export settings of a config ([data] table).
HPatchesExportOptions read_hpatches_export_config(train::ConfigReader& reader);

// `sptrain export_detector_homoAdapt|export_descriptor CONFIG NAME [a.b=value ...]`.
struct ExportCommand {
  std::string config, name;            // the TOML and the experiment to write into
  std::vector<std::string> overrides;  // a.b=value
  std::string device;                  // "" = auto
  // TF32 tensor cores for f32 convolutions and matmuls on CUDA: PyTorch's cuDNN default,
  // about 10 mantissa bits in the products; off keeps FMA math.
  bool tf32 = false;
  bool pictures = false;  // export_detector_homoAdapt: a PNG of the labels per image
  int64_t limit = -1;     // export_detector_homoAdapt: at most this many images
};

// Labels every image of the config's data with homography adaptation into
// <experiments_root>/<name>/predictions/<split>/. Returns false when an image failed
// (the others are written; a rerun resumes).
bool export_detector_homoAdapt(const ExportCommand& command);
// HPatches predictions of the config's model into <experiments_root>/<name>/predictions/
// hpatches.h5; prints the speval command that grades them.
void export_descriptor(const ExportCommand& command);

}  // namespace sp::procedures

// Grades a trained detector (an Extractor experiment: MagicPoint, SuperPoint) on the validation
// split of its own dataset: detections against the ground-truth corners (labels_2D) with
// DetectionEvaluator, a picture of the first images' detections, and a JSON report.
// This is `sptrain eval_detector NAME` and the last step of `make demo`.
#pragma once

#include <string>
#include <vector>

#include "eval/detection_metrics.h"
#include "tensor/device.h"

namespace sp::procedures {

struct DetectorEvalOptions {
  std::vector<std::string> overrides;  // applied to the experiment config ("data.split_sizes=...")
  double distance = 2.0;               // px: a detection is correct within this distance
  double curve_threshold = 0.001;      // detections kept for the PR curve / AP
  double threshold = -1;               // operating point; < 0: the model's detection_threshold
  int64_t max_images = 0;              // 0: the whole validation split
  int64_t pictures = 8;                // images in the detections picture
  int64_t batch_size = 16;
  bool last = false;  // the latest checkpoint instead of the best
  std::string device = "auto";
  std::string out_dir;  // default <exp>/eval
};

struct DetectorEvalReport {
  eval::DetectionScore score;
  double threshold = 0;
  std::string checkpoint, picture, json;
  double seconds = 0;
};

DetectorEvalReport evaluate_detector(const std::string& name, const DetectorEvalOptions& options);
// A short table of the report for the console.
std::string format_report(const std::string& name, const DetectorEvalOptions& options,
                          const DetectorEvalReport& report);

}  // namespace sp::procedures

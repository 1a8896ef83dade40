#include "procedures/evaluate_detector.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "autograd/grad_mode.h"
#include "data/image_io.h"
#include "data/loader.h"
#include "data/pictures.h"
#include "models/extractor.h"
#include "tensor/check.h"
#include "tensor/cuda/context.h"
#include "tensor/ops/elementwise.h"
#include "tensor/ops/index.h"
#include "train/data_config.h"
#include "train/experiment.h"
#include "train/model_config.h"
#include "train/trainer.h"

namespace fs = std::filesystem;

namespace sp::procedures {

DetectorEvalReport evaluate_detector(const std::string& name, const DetectorEvalOptions& opt) {
  const auto t0 = std::chrono::steady_clock::now();
  DetectorEvalReport report;
  Device device = opt.device == "auto" ? (cuda::device_count() > 0 ? cuda_device(0) : kCPU)
                                       : Device(opt.device);

  // The model keeps its own operating threshold; the evaluation runs it with a low one
  // (and no top-k) so the precision-recall curve covers every plausible detection.
  std::vector<std::string> overrides = opt.overrides;
  auto load = [&] {
    std::shared_ptr<models::Model> model =
        train::load_experiment(name, overrides, opt.last, device);
    auto detector = std::dynamic_pointer_cast<models::Extractor>(model);
    SP_CHECK(detector != nullptr,
             "eval_detector: expected a keypoint detector (magicpoint, superpoint), got model ",
             model->type_name());
    return detector;
  };
  std::shared_ptr<models::Extractor> detector = load();
  report.threshold = opt.threshold >= 0 ? opt.threshold : detector->detection_threshold();
  overrides.push_back("model.detection_threshold=" +
                      std::to_string(std::min(opt.curve_threshold, report.threshold)));
  overrides.push_back("model.top_k=-1");
  detector = load();
  report.checkpoint = train::experiment_checkpoint(name, opt.last);

  train::Config config = train::experiment_config(name, opt.overrides);
  train::ConfigReader reader(config);
  for (const std::string& key : config.keys())
    if (key != "data") reader.allow_table(key);
  train::DataSets data = train::make_datasets(
      reader, train::DataOptions{.verbose = true,
                                 .train = false,
                                 .size_multiple = detector->image_size_multiple(),
                                 .model = detector->type_name()});
  reader.finish();
  SP_CHECK(data.val != nullptr, "eval_detector: expected a validation split in the data of ", name,
           ", got none");

  data::LoaderOptions lo;
  lo.batch_size = opt.batch_size;
  lo.workers = 1;
  lo.device = device;
  data::Loader loader(data.val, lo);
  loader.start_epoch(0);
  eval::DetectionEvaluator evaluator(opt.distance, report.threshold);
  std::vector<Tensor> pictures;
  int64_t seen = 0;
  ag::NoGradGuard no_grad;
  while (opt.max_images <= 0 || seen < opt.max_images) {
    std::optional<data::Batch> batch = loader.next();
    if (!batch) break;
    SP_CHECK(batch->count("labels_2D"),
             "eval_detector: expected ground truth labels_2D in the validation samples");
    const features::Features found = detector->extract(batch->at("image"));
    const Tensor labels = batch->at("labels_2D").cpu();
    const Tensor images = batch->at("image").cpu();
    for (int64_t i = 0; i < found.batch_size() && (opt.max_images <= 0 || seen < opt.max_images);
         ++i, ++seen) {
      const Tensor truth = data::label_points(labels.select(0, i));
      const features::ImageFeatures f = found.image(i).to(kCPU);
      evaluator.add(f.keypoints, f.scores, truth);
      if (int64_t(pictures.size()) < opt.pictures) {
        // The picture shows the operating point, not the low curve threshold.
        const Tensor kept = masked_select(
            f.keypoints, ge(f.scores, Scalar(report.threshold)).unsqueeze(1).expand({-1, 2}));
        pictures.push_back(data::draw_keypoints(images.select(0, i), kept.view({-1, 2}), truth));
      }
    }
  }
  SP_CHECK(seen > 0, "eval_detector: expected validation images, got none");
  report.score = evaluator.result();

  const std::string out =
      opt.out_dir.empty() ? train::experiments_root() + "/" + name + "/eval" : opt.out_dir;
  fs::create_directories(out);
  report.picture = out + "/detections.png";
  data::write_png(report.picture,
                  data::tile(pictures, std::min<int64_t>(4, int64_t(pictures.size()))));
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  report.json = out + "/detector_metrics.json";
  std::ofstream js(report.json);
  const eval::DetectionScore& s = report.score;
  js << "{\n  \"experiment\": \"" << name << "\",\n  \"checkpoint\": \"" << report.checkpoint
     << "\",\n  \"images\": " << s.images << ",\n  \"distance_px\": " << opt.distance
     << ",\n  \"threshold\": " << report.threshold << ",\n  \"precision\": " << s.precision
     << ",\n  \"recall\": " << s.recall << ",\n  \"mAP\": " << s.average_precision
     << ",\n  \"localization_error_px\": " << s.localization_error
     << ",\n  \"detections\": " << s.detections << ",\n  \"ground_truth\": " << s.truth
     << ",\n  \"true_positives\": " << s.true_positives << "\n}\n";
  SP_CHECK(js.good(), "eval_detector: could not write ", report.json);
  return report;
}

std::string format_report(const std::string& name, const DetectorEvalOptions& opt,
                          const DetectorEvalReport& r) {
  const eval::DetectionScore& s = r.score;
  char buf[512];
  std::snprintf(
      buf, sizeof buf,
      "detector evaluation of %s on %lld validation images (correct within %.1f px)\n"
      "  threshold %-8.4g precision %.3f  recall %.3f  mAP %.3f  localization error %.2f px\n"
      "  %lld detections, %lld ground-truth corners, %lld true positives (%.1f s)\n",
      name.c_str(), (long long)s.images, opt.distance, r.threshold, s.precision, s.recall,
      s.average_precision, s.localization_error, (long long)s.detections, (long long)s.truth,
      (long long)s.true_positives, r.seconds);
  return buf;
}

}  // namespace sp::procedures

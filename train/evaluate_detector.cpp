#include "train/evaluate_detector.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "autograd/grad_mode.h"
#include "data/image_io.h"
#include "data/loader.h"
#include "models/superpoint.h"
#include "tensor/check.h"
#include "tensor/cuda/context.h"
#include "train/data_config.h"
#include "train/experiment.h"
#include "train/model_config.h"
#include "train/summary_images.h"
#include "train/trainer.h"

namespace fs = std::filesystem;

namespace sp::train {

DetectorEvalReport evaluate_detector(const std::string& name, const DetectorEvalOptions& opt) {
  const auto t0 = std::chrono::steady_clock::now();
  DetectorEvalReport report;
  Device device = opt.device == "auto" ? (cuda::device_count() > 0 ? cuda_device(0) : kCPU) : Device(opt.device);

  // The model keeps its own operating threshold; the evaluation runs it with a low one
  // (and no top-k) so the precision-recall curve covers every plausible detection.
  std::vector<std::string> overrides = opt.overrides;
  std::shared_ptr<models::Model> model = load_experiment(name, overrides, opt.last, device);
  auto* detector = dynamic_cast<models::SuperPoint*>(model.get());
  SP_CHECK(detector != nullptr, "eval_detector: expected a MagicPoint/SuperPoint experiment, got model ",
           model->type_name());
  report.threshold = opt.threshold >= 0 ? opt.threshold : detector->config().detection_threshold;
  overrides.push_back("model.detection_threshold=" + std::to_string(std::min(opt.curve_threshold, report.threshold)));
  overrides.push_back("model.top_k=-1");
  model = load_experiment(name, overrides, opt.last, device);
  detector = dynamic_cast<models::SuperPoint*>(model.get());
  report.checkpoint = experiment_checkpoint(name, opt.last);

  Config config = experiment_config(name, opt.overrides);
  ConfigReader reader(config);
  for (const std::string& key : config.keys())
    if (key != "data") reader.allow_table(key);
  DataSets data = make_datasets(reader, DataOptions{.verbose = true, .train = false});
  reader.finish();
  SP_CHECK(data.val != nullptr, "eval_detector: expected a validation split in the data of ", name, ", got none");

  data::LoaderOptions lo;
  lo.batch_size = opt.batch_size;
  lo.workers = 1;
  lo.device = device;
  data::Loader loader(data.val, lo);
  loader.start_epoch(0);
  DetectionEvaluator evaluator(opt.distance, report.threshold);
  std::vector<Tensor> pictures;
  int64_t seen = 0;
  ag::NoGradGuard no_grad;
  while (opt.max_images <= 0 || seen < opt.max_images) {
    std::optional<data::Batch> batch = loader.next();
    if (!batch) break;
    models::Batch b("batch");
    for (const auto& [k, v] : *batch) b.set(k, v);
    SP_CHECK(b.has("labels_2D"), "eval_detector: expected ground truth labels_2D in the validation samples");
    std::vector<models::Detections> dets = detector->detect(model->run(b));
    const Tensor labels = b.at("labels_2D").cpu();
    const Tensor images = b.at("image").cpu();
    for (size_t i = 0; i < dets.size() && (opt.max_images <= 0 || seen < opt.max_images); ++i, ++seen) {
      const Tensor truth = label_points(labels.select(0, int64_t(i)));
      evaluator.add(dets[i].keypoints, dets[i].scores, truth);
      if (int64_t(pictures.size()) < opt.pictures) {
        // The picture shows the operating point, not the low curve threshold.
        Tensor kp = dets[i].keypoints.cpu(), sc = dets[i].scores.cpu().contiguous();
        int64_t keep = 0;
        while (keep < sc.size(0) && sc.data<float>()[keep] >= report.threshold) ++keep;
        pictures.push_back(draw_keypoints(images.select(0, int64_t(i)), kp.narrow(0, 0, keep), truth));
      }
    }
  }
  SP_CHECK(seen > 0, "eval_detector: expected validation images, got none");
  report.score = evaluator.result();

  const std::string out = opt.out_dir.empty() ? experiments_root() + "/" + name + "/eval" : opt.out_dir;
  fs::create_directories(out);
  report.picture = out + "/detections.png";
  data::write_png(report.picture, tile(pictures, std::min<int64_t>(4, int64_t(pictures.size()))));
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  report.json = out + "/detector_metrics.json";
  std::ofstream js(report.json);
  const DetectionScore& s = report.score;
  js << "{\n  \"experiment\": \"" << name << "\",\n  \"checkpoint\": \"" << report.checkpoint
     << "\",\n  \"images\": " << s.images << ",\n  \"distance_px\": " << opt.distance
     << ",\n  \"threshold\": " << report.threshold << ",\n  \"precision\": " << s.precision
     << ",\n  \"recall\": " << s.recall << ",\n  \"mAP\": " << s.average_precision
     << ",\n  \"localization_error_px\": " << s.localization_error << ",\n  \"detections\": " << s.detections
     << ",\n  \"ground_truth\": " << s.truth << ",\n  \"true_positives\": " << s.true_positives << "\n}\n";
  SP_CHECK(js.good(), "eval_detector: could not write ", report.json);
  return report;
}

std::string format_report(const std::string& name, const DetectorEvalOptions& opt, const DetectorEvalReport& r) {
  const DetectionScore& s = r.score;
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "detector evaluation of %s on %lld validation images (correct within %.1f px)\n"
                "  threshold %-8.4g precision %.3f  recall %.3f  mAP %.3f  localization error %.2f px\n"
                "  %lld detections, %lld ground-truth corners, %lld true positives (%.1f s)\n",
                name.c_str(), (long long)s.images, opt.distance, r.threshold, s.precision, s.recall,
                s.average_precision, s.localization_error, (long long)s.detections, (long long)s.truth,
                (long long)s.true_positives, r.seconds);
  return buf;
}

}  // namespace sp::train

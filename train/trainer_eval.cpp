// The validation half of the Trainer: averaged validation results, best-checkpoint
// tracking and the image summary of detections.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "autograd/grad_mode.h"
#include "data/pictures.h"
#include "tensor/check.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/elementwise.h"
#include "tensor/ops/operators.h"
#include "tensor/ops/random.h"
#include "train/trainer.h"

namespace fs = std::filesystem;

namespace sp::train {

namespace {
std::string format_value(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}
}  // namespace

std::map<std::string, double> Trainer::validate() {
  if (!comm_->is_root() || (!val_loader_ && !tc_.overfit)) return {};  // rank 0 validates
  // Validation neither draws from nor disturbs the training stream (Glue Factory's
  // fork_rng): every evaluation sees the same random numbers.
  const Generator saved = default_generator();
  default_generator() = Generator(tc_.seed, 0);
  model_->eval();
  std::map<std::string, double> sums, weights;
  // Loss terms stay on the device until the end (f64 sums of value * batch size).
  std::map<std::string, Tensor> loss_sums, loss_weights;
  {
    ag::NoGradGuard no_grad;
    auto add = [&](const std::string& key, double value, double weight) {
      if (!std::isfinite(value)) return;  // NaNs are ignored, as Glue Factory's averages do
      sums[key] += value * weight;
      weights[key] += weight;
    };
    auto add_term = [&](const std::string& key, const Tensor& value, double weight) {
      const Tensor v = value.to(DType::F64).reshape({});
      const Tensor finite = isfinite(v);
      const Tensor s = where(finite, v * Scalar(weight), 0.0);
      const Tensor w = where(finite, full_like(v, weight), 0.0);
      if (!loss_sums.count(key)) loss_sums[key] = zeros_like(v), loss_weights[key] = zeros_like(v);
      loss_sums[key] += s;
      loss_weights[key] += w;
    };
    auto process = [&](const data::Batch& batch, bool first) {
      models::Batch b = models::make_batch(batch);
      const double n = double(batch.begin()->second.size(0));
      models::Predictions pred = model_->run(b);
      for (const auto& [k, v] : model_->loss(pred, b).terms) add_term("loss/" + k, v, n);
      for (const auto& [k, v] : model_->metrics(pred, b)) add(k, v, n);
      if (first && tc_.images > 0) write_image_summary(model_->summary_image(pred, b, tc_.images));
    };
    if (tc_.overfit) {
      process(*overfit_batch_, true);
    } else {
      val_loader_->start_epoch(0);
      int64_t done = 0;
      while (tc_.val_batches == 0 || done < tc_.val_batches) {
        std::optional<data::Batch> batch = val_loader_->next();
        if (!batch) break;
        process(*batch, done == 0);
        ++done;
      }
    }
  }
  model_->train();
  default_generator() = saved;
  std::map<std::string, double> out;
  for (const auto& [k, s] : sums) out[k] = s / weights[k];
  for (const auto& [k, s] : loss_sums) {
    const double w = loss_weights[k].item<double>();
    if (w > 0) out[k] = s.item<double>() / w;
  }
  return out;
}

void Trainer::evaluate() {
  last_eval_step_ = step_;
  std::map<std::string, double> results = validate();
  if (results.empty()) return;
  result_.last_val = results;
  std::ostringstream line;
  line << "[E " << (step_ > 0 ? (step_ - 1) / steps_per_epoch_ : 0) << " | step " << step_
       << "] val";
  for (const auto& [k, v] : results) {
    line << ' ' << k << ' ' << format_value(v);
    events_->add_scalar("val/" + k, v, step_);
  }
  experiment_->log(line.str());
  experiment_->append_metrics(step_, "val", results);
  events_->flush();

  auto it = results.find(tc_.best_key);
  if (it == results.end()) {
    std::string keys;
    for (const auto& [k, v] : results) keys += (keys.empty() ? "" : ", ") + k;
    SP_FAIL("trainer: expected train.best_key '", tc_.best_key, "' among the validation results {",
            keys, "}");
  }
  const double v = it->second;
  const bool better =
      !state_.has_best || (tc_.best_mode == "min" ? v < state_.best_value : v > state_.best_value);
  if (!better) return;
  state_.has_best = true;
  state_.best_value = v;
  state_.best_step = step_;
  checkpoints_->save_best(capture());
  experiment_->log("best " + tc_.best_key + " " + format_value(v) + " at step " +
                   std::to_string(step_) + " -> " + checkpoints_->best_path());
}

void Trainer::run_benchmarks(int64_t epoch) {
  std::map<std::string, double> results;
  {
    ag::NoGradGuard no_grad;
    model_->eval();
    results = options_.benchmarks(*model_, epoch);
    model_->train();
  }
  if (results.empty()) return;
  std::ostringstream line;
  line << "[E " << epoch << " | step " << step_ << "] test";
  for (const auto& [k, v] : results) {
    line << ' ' << k << ' ' << format_value(v);
    events_->add_scalar("test/" + k, v, step_);
  }
  experiment_->log(line.str());
  experiment_->append_metrics(step_, "test", results);
  events_->flush();
}

void Trainer::write_image_summary(const Tensor& picture) {
  if (!picture.defined()) return;
  std::vector<uint8_t> png = data::encode_png(picture);
  events_->add_image("val/detections", png, int(picture.size(1)), int(picture.size(2)), 3, step_);
  const std::string dir = experiment_->path("images");
  fs::create_directories(dir);
  std::ofstream out(dir + "/detections_" + std::to_string(step_) + ".png", std::ios::binary);
  out.write(reinterpret_cast<const char*>(png.data()), std::streamsize(png.size()));
}

}  // namespace sp::train

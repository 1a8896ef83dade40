#include "train/train_config.h"

#include <algorithm>
#include <cmath>

#include "nn/optim/adam.h"
#include "nn/optim/sgd.h"
#include "tensor/check.h"
#include "tensor/cuda/context.h"

namespace sp::train {

TrainConfig TrainConfig::from(ConfigReader& r, const std::string& table) {
  TrainConfig c;
  auto key = [&](const char* k) { return table + "." + k; };
  c.seed = uint64_t(r.get<int64_t>(key("seed"), int64_t(c.seed)));
  c.device = r.get<std::string>(key("device"), c.device);
  c.tf32 = r.get<bool>(key("tf32"), c.tf32);
  c.optimizer = r.get<std::string>(key("optimizer"), c.optimizer);
  c.lr = r.get<double>(key("lr"), c.lr);
  c.betas = r.get<std::vector<double>>(key("betas"), c.betas);
  c.eps = r.get<double>(key("eps"), c.eps);
  c.weight_decay = r.get<double>(key("weight_decay"), c.weight_decay);
  c.momentum = r.get<double>(key("momentum"), c.momentum);
  c.nesterov = r.get<bool>(key("nesterov"), c.nesterov);
  c.clip_grad_norm = r.get<double>(key("clip_grad_norm"), c.clip_grad_norm);
  c.detect_anomaly = r.get<bool>(key("detect_anomaly"), c.detect_anomaly);

  LrScheduleConfig& s = c.lr_schedule;
  auto skey = [&](const char* k) { return table + ".lr_schedule." + k; };
  s.type = r.get<std::string>(skey("type"), s.type);
  s.start = r.get<int64_t>(skey("start"), s.start);
  s.exp_div_10 = r.get<double>(skey("exp_div_10"), s.exp_div_10);
  s.step_size = r.get<int64_t>(skey("step_size"), s.step_size);
  s.milestones = r.get<std::vector<int64_t>>(skey("milestones"), s.milestones);
  s.gamma = r.get<double>(skey("gamma"), s.gamma);
  s.t_max = r.get<int64_t>(skey("t_max"), s.t_max);
  s.eta_min = r.get<double>(skey("eta_min"), s.eta_min);
  s.warmup = r.get<int64_t>(skey("warmup"), s.warmup);
  s.warmup_factor = r.get<double>(skey("warmup_factor"), s.warmup_factor);
  s.on_epoch = r.get<bool>(skey("on_epoch"), s.on_epoch);

  c.epochs = r.get<int64_t>(key("epochs"), c.epochs);
  c.max_steps = r.get<int64_t>(key("max_steps"), c.max_steps);
  c.batch_size = r.get<int64_t>(key("batch_size"), c.batch_size);
  c.val_batch_size = r.get<int64_t>(key("val_batch_size"), c.val_batch_size);
  c.val_batches = r.get<int64_t>(key("val_batches"), c.val_batches);
  c.workers = r.get<int>(key("workers"), c.workers);
  c.prefetch = r.get<int>(key("prefetch"), c.prefetch);
  c.shuffle = r.get<bool>(key("shuffle"), c.shuffle);
  c.log_every = r.get<int64_t>(key("log_every"), c.log_every);
  c.eval_every = r.get<int64_t>(key("eval_every"), c.eval_every);
  c.save_every = r.get<int64_t>(key("save_every"), c.save_every);
  c.keep_last_n = r.get<int64_t>(key("keep_last_n"), c.keep_last_n);
  c.best_key = r.get<std::string>(key("best_key"), c.best_key);
  c.best_mode = r.get<std::string>(key("best_mode"), c.best_mode);
  c.images = r.get<int64_t>(key("images"), c.images);
  c.overfit = r.get<bool>(key("overfit"), c.overfit);
  c.sync_batch_norm = r.get<bool>(key("sync_batch_norm"), c.sync_batch_norm);

  const std::string where = " in " + table;
  SP_CHECK(c.optimizer == "adam" || c.optimizer == "adamw" || c.optimizer == "sgd",
           "config: expected ", table, ".optimizer adam, adamw or sgd, got '", c.optimizer, "'");
  SP_CHECK(std::isfinite(c.lr) && c.lr >= 0, "config: expected ", table, ".lr >= 0, got ", c.lr);
  SP_CHECK(c.betas.size() == 2, "config: expected ", table, ".betas = [beta1, beta2], got ",
           c.betas.size(), " values");
  SP_CHECK(c.clip_grad_norm >= 0, "config: expected ", table, ".clip_grad_norm >= 0, got ",
           c.clip_grad_norm);
  SP_CHECK(c.epochs >= 0 && c.max_steps >= 0 && (c.epochs > 0 || c.max_steps > 0),
           "config: expected ", table, ".epochs > 0 or ", table, ".max_steps > 0, got ", c.epochs,
           " and ", c.max_steps);
  SP_CHECK(c.batch_size > 0 && c.val_batch_size >= 0 && c.val_batches >= 0, "config: expected ",
           table, ".batch_size > 0 (and val sizes >= 0), got ", c.batch_size);
  SP_CHECK(c.workers >= 0 && c.prefetch > 0, "config: expected ", table,
           ".workers >= 0 and prefetch > 0, got ", c.workers, " and ", c.prefetch);
  SP_CHECK(c.log_every > 0 && c.eval_every >= 0 && c.save_every >= 0 && c.keep_last_n > 0,
           "config: expected ", table,
           ".log_every > 0, eval_every >= 0, save_every >= 0 and keep_last_n > 0");
  SP_CHECK(c.best_mode == "min" || c.best_mode == "max", "config: expected ", table,
           ".best_mode min or max, got '", c.best_mode, "'");
  c.resolved_device();  // validates the spelling
  const auto& t = s.type;
  SP_CHECK(t == "constant" || t == "exp" || t == "step" || t == "multistep" || t == "cosine",
           "config: expected ", table,
           ".lr_schedule.type constant, exp, step, multistep or cosine, got '", t, "'");
  SP_CHECK(t != "exp" || s.exp_div_10 > 0, "config: expected ", table,
           ".lr_schedule.exp_div_10 > 0 with type exp, got ", s.exp_div_10);
  SP_CHECK(t != "step" || s.step_size > 0, "config: expected ", table,
           ".lr_schedule.step_size > 0 with type step, got ", s.step_size);
  SP_CHECK(s.warmup >= 0 && s.warmup_factor > 0, "config: expected ", table,
           ".lr_schedule.warmup >= 0 and warmup_factor > 0", where);
  return c;
}

Device TrainConfig::resolved_device() const {
  if (device == "auto") return cuda::device_count() > 0 ? cuda_device(0) : kCPU;
  SP_CHECK(device == "cpu" || device.rfind("cuda", 0) == 0,
           "config: expected train.device auto, cpu, cuda or cuda:N, got '", device, "'");
  Device d = Device::parse(device);
  if (d.is_cuda())
    SP_CHECK(d.index < cuda::device_count(), "config: expected a GPU for train.device = ", device,
             ", got ", cuda::device_count(), " GPUs; hint: use device = \"auto\" or \"cpu\"");
  return d;
}

std::unique_ptr<nn::optim::Optimizer> make_optimizer(const TrainConfig& c,
                                                     std::vector<ag::Var> params) {
  using namespace nn::optim;
  if (c.optimizer == "sgd") {
    SGDOptions o;
    o.lr = c.lr;
    o.momentum = c.momentum;
    o.weight_decay = c.weight_decay;
    o.nesterov = c.nesterov;
    return std::make_unique<SGD>(std::move(params), o);
  }
  AdamOptions o;
  o.lr = c.lr;
  o.beta1 = c.betas[0];
  o.beta2 = c.betas[1];
  o.eps = c.eps;
  o.weight_decay = c.weight_decay;
  if (c.optimizer == "adamw") return std::make_unique<AdamW>(std::move(params), o);
  return std::make_unique<Adam>(std::move(params), o);
}

namespace {

using nn::optim::LRSchedule;

class ConstantLR : public LRSchedule {
 public:
  using LRSchedule::LRSchedule;
  double lr(int64_t) const override { return base_lr_; }
};

// Glue Factory's "exp": lr / 10 every exp_div_10 steps once t >= start.
class ExpDiv10LR : public LRSchedule {
 public:
  ExpDiv10LR(double base, int64_t start, double div) : LRSchedule(base), start_(start), div_(div) {}
  // After t multiplicative steps s = 1..t, each s >= start dividing by 10^(1/div).
  double lr(int64_t t) const override {
    const int64_t first = std::max<int64_t>(start_, 1);
    return t < first ? base_lr_ : base_lr_ * std::pow(10.0, -double(t - first + 1) / div_);
  }

 private:
  int64_t start_;
  double div_;
};

}  // namespace

std::unique_ptr<nn::optim::LRSchedule> make_lr_schedule(const TrainConfig& c, int64_t total_steps) {
  using namespace nn::optim;
  const LrScheduleConfig& s = c.lr_schedule;
  std::unique_ptr<LRSchedule> main;
  if (s.type == "exp")
    main = std::make_unique<ExpDiv10LR>(c.lr, s.start, s.exp_div_10);
  else if (s.type == "step")
    main = std::make_unique<StepLR>(c.lr, s.step_size, s.gamma);
  else if (s.type == "multistep")
    main = std::make_unique<MultiStepLR>(c.lr, s.milestones, s.gamma);
  else if (s.type == "cosine")
    main = std::make_unique<CosineAnnealingLR>(
        c.lr, s.t_max > 0 ? s.t_max : std::max<int64_t>(1, total_steps - s.warmup), s.eta_min);
  else
    main = std::make_unique<ConstantLR>(c.lr);
  if (s.warmup > 0) return std::make_unique<WarmupThen>(s.warmup, s.warmup_factor, std::move(main));
  return main;
}

}  // namespace sp::train

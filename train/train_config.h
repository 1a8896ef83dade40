// The "train" table of an experiment: optimisation, schedule, loop lengths, logging and
// checkpoint cadence (matchers.md 1.3, superpoint.md 7). Every key has a default; an
// unknown key fails in ConfigReader::finish() with a "did you mean" hint.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "nn/optim/lr_schedule.h"
#include "nn/optim/optimizer.h"
#include "tensor/device.h"
#include "train/config.h"

namespace sp::train {

struct LrScheduleConfig {
  // "constant"; "exp" (lr / 10 every exp_div_10 steps after `start`, Glue Factory);
  // "step" (x gamma every step_size); "multistep" (x gamma at each milestone);
  // "cosine" (to eta_min over t_max, default the whole run).
  std::string type = "constant";
  int64_t start = 0;
  double exp_div_10 = 0;
  int64_t step_size = 0;
  std::vector<int64_t> milestones;
  double gamma = 0.1;
  int64_t t_max = 0;
  double eta_min = 0;
  int64_t warmup = 0;  // linear warmup steps from lr * warmup_factor
  double warmup_factor = 0.1;
  bool on_epoch = false;  // t counts epochs instead of steps
};

struct TrainConfig {
  uint64_t seed = 0;
  std::string device = "auto";  // "auto" (cuda when present), "cpu", "cuda", "cuda:N"
  // TF32 tensor cores for f32 convolutions and matmuls on CUDA: PyTorch's cuDNN default,
  // about 10 mantissa bits in the products; off keeps FMA math.
  bool tf32 = false;

  std::string optimizer = "adam";  // adam | adamw | sgd
  double lr = 1e-3;
  std::vector<double> betas = {0.9, 0.999};
  double eps = 1e-8;
  double weight_decay = 0;
  double momentum = 0;  // sgd
  bool nesterov = false;
  LrScheduleConfig lr_schedule;
  double clip_grad_norm = 0;    // 0 = off; a non-finite norm stops the run
  bool detect_anomaly = false;  // autograd's anomaly mode: a NaN/Inf names the op (slow)

  int64_t epochs = 1;
  int64_t max_steps = 0;       // > 0: stop after this many optimizer steps (epochs then unbounded)
  int64_t batch_size = 8;      // the global batch: each of N ranks loads batch_size / N
  int64_t val_batch_size = 0;  // 0 = batch_size
  int64_t val_batches = 0;     // validation batches per evaluation; 0 = the whole split
  int workers = 1;
  int prefetch = 4;
  bool shuffle = true;

  int64_t log_every = 100;
  int64_t eval_every = 1000;  // 0 = only at the end
  int64_t save_every = 1000;  // 0 = only at the end
  int64_t keep_last_n = 5;
  std::string best_key = "loss/total";
  std::string best_mode = "min";  // min | max
  int64_t images = 4;             // images per image summary (0 = none)
  bool overfit = false;           // one batch forever (also --overfit)
  // Data-parallel runs (world size > 1): BatchNorm2d layers become SyncBatchNorm
  // (statistics of the global batch). No effect on one process.
  bool sync_batch_norm = true;

  static TrainConfig from(ConfigReader& reader, const std::string& table = "train");
  // The resolved device ("auto" -> cuda:0 when a GPU exists, else cpu).
  Device resolved_device() const;
};

std::unique_ptr<nn::optim::Optimizer> make_optimizer(const TrainConfig& config,
                                                     std::vector<ag::Var> params);
// The schedule as a function of t (steps, or epochs with on_epoch); `total_steps` is
// the default horizon of cosine.
std::unique_ptr<nn::optim::LRSchedule> make_lr_schedule(const TrainConfig& config,
                                                        int64_t total_steps);

}  // namespace sp::train

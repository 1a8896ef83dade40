// The training loop (matchers.md 1.3-1.5, superpoint.md 7.1) over an experiment config:
//   [model] name = "magicpoint", ...      the model and its keys (models/model.h)
//   [data]  name = "synthetic_shapes", ... the datasets (train/data_config.h)
//   [train] lr = 0.001, ...               optimisation and cadence (train/train_config.h)
//
// Each step: loader -> model.run -> model.loss -> total.backward -> clip -> step, with the
// learning rate of the schedule at that step. Loss terms stay on the device until a log.
// A non-finite loss or gradient norm stops the run with an error naming the step
// (train.detect_anomaly = true: the op); nothing is saved after it. Every log_every steps the mean
// loss terms go to the console, log.txt, TensorBoard and metrics.csv; every eval_every steps (and
// at the end) the validation split is averaged (loss terms and model metrics) and an
// image summary of detections is written; every save_every steps (and at the end) a
// checkpoint, plus checkpoint_best.h5 when best_key improves.
//
// Determinism: with the same config, a run resumed with --restore from the checkpoint
// of step k continues bitwise like the uninterrupted run (CPU): parameters, buffers,
// optimizer state, the Philox stream and the loader position (epoch, batch) are restored.
//
// Data parallel (a Communicator with world size N > 1, docs/DISTRIBUTED.md): every
// rank builds (and restores) the model, rank 0's weights are broadcast, BatchNorm2d
// becomes SyncBatchNorm (train.sync_batch_norm), each rank loads batch_size / N samples
// of its ShardSampler shard, gradients are averaged (GradientBucketer) before clipping
// and the step, skips and stops are agreed by all ranks, logged losses are means over
// ranks; rank 0 alone validates and writes the experiment folder. Resuming: the loader
// position is step % steps_per_epoch of epoch step / steps_per_epoch of the resumed
// run's own sharding, so a resume with the same N is exact and one with another N
// changes only the data order of the resumed epoch.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "data/loader.h"
#include "models/model.h"
#include "nn/optim/lr_schedule.h"
#include "nn/optim/optimizer.h"
#include "train/checkpoints.h"
#include "train/config.h"
#include "train/data_config.h"
#include "train/distributed/communicator.h"
#include "train/experiment.h"
#include "train/tensorboard.h"
#include "train/train_config.h"

namespace sp::train {

class GradientBucketer;
class ShardedDataset;

// Benchmarks run on the model under training (`sptrain train --run_benchmarks`,
// procedures/benchmarks.h): called on rank 0 with the model (in eval mode, no gradients)
// and the epoch about to start; returns scalars, logged as test/<key> to TensorBoard and
// metrics.csv (split "test") at the current step.
using BenchmarkHook = std::function<std::map<std::string, double>(models::Model&, int64_t epoch)>;

struct TrainOptions {
  bool restore = false;    // resume <exp> from its latest checkpoint
  bool overfit = false;    // one batch forever (train.overfit = true)
  bool overwrite = false;  // start over in an existing experiment folder
  // --run_benchmarks: before the first step (Glue Factory's epoch-0 benchmark) and after
  // every epoch. The config's [benchmarks] table is then the hook's, not the trainer's.
  BenchmarkHook benchmarks = nullptr;
};

struct TrainResult {
  int64_t steps = 0;  // optimizer steps done in total (restored ones included)
  int64_t epoch = 0;
  bool interrupted = false;
  std::string last_checkpoint;
  std::map<std::string, double> last_train;  // mean loss terms of the last log interval
  std::map<std::string, double> last_val;    // the last validation results
};

class Trainer {
 public:
  // `config` is the experiment config (file plus overrides). With options.restore it is
  // layered over the experiment's saved config.toml (so `--restore` alone suffices).
  // `comm`: the ranks of a data-parallel run (train::init_distributed); null = one process.
  Trainer(const std::string& name, const Config& config, TrainOptions options = {},
          std::shared_ptr<Communicator> comm = nullptr);
  ~Trainer();

  TrainResult run();

  models::Model& model() { return *model_; }
  const TrainConfig& train_config() const { return tc_; }
  // The experiment folder exists on rank 0 only (is_root()).
  Experiment& experiment() { return *experiment_; }
  const CheckpointManager& checkpoints() const { return *checkpoints_; }
  bool is_root() const { return comm_->is_root(); }
  int world_size() const { return comm_->world_size(); }
  int64_t step() const { return step_; }
  int64_t total_steps() const { return total_steps_; }
  int64_t steps_per_epoch() const { return steps_per_epoch_; }

  // Mean validation loss terms ("loss/<k>") and metrics over val_batches batches.
  std::map<std::string, double> validate();

 private:
  void restore_latest();
  void train_step(const data::Batch& batch);
  // A non-finite loss is recorded on the device (the first step with one) and read back
  // by check_finite(), which stops the run (stop_nonfinite) without saving.
  void record_nonfinite(const Tensor& total);
  void check_finite();
  [[noreturn]] void stop_nonfinite(const std::string& what, int64_t step);
  void log_train();
  void evaluate();
  void run_benchmarks(int64_t epoch);
  void write_image_summary(const Tensor& picture);
  std::string save(bool interrupted);
  nn::Checkpoint capture() const;
  double schedule_lr() const;
  void log(const std::string& line);  // rank 0: console and log.txt

  std::string name_;
  bool resuming_ = false;  // --restore found a checkpoint
  Config config_;
  TrainOptions options_;
  TrainConfig tc_;
  Device device_;
  std::shared_ptr<models::Model> model_;
  DataSets data_;
  std::unique_ptr<nn::optim::Optimizer> optimizer_;
  std::unique_ptr<nn::optim::LRSchedule> schedule_;
  std::unique_ptr<Experiment> experiment_;
  std::unique_ptr<CheckpointManager> checkpoints_;
  std::unique_ptr<EventWriter> events_;
  std::unique_ptr<data::Loader> train_loader_, val_loader_;
  std::optional<data::Batch> overfit_batch_;
  std::shared_ptr<Communicator> comm_;
  std::shared_ptr<ShardedDataset> sharded_train_;  // world size > 1
  std::unique_ptr<GradientBucketer> bucketer_;     // world size > 1

  int64_t step_ = 0, steps_per_epoch_ = 0, total_steps_ = 0;
  int64_t last_eval_step_ = -1, last_save_step_ = -1;
  TrainerState state_;
  std::map<std::string, Tensor> term_sums_;  // f64 0-dim on the device, since the last log
  int64_t term_count_ = 0;
  Tensor first_nonfinite_;  // i64 0-dim on the device: the first step with a non-finite loss, or -1
  double interval_start_s_ = 0;
  int64_t interval_start_step_ = 0;
  double run_start_s_ = 0;
  int64_t run_start_step_ = 0;
  TrainResult result_;
};

// Builds the model of experiment `name` (its config.toml with `overrides`, e.g.
// "model.detection_threshold=0.001") and loads checkpoint_best.h5, or the latest
// checkpoint when there is no best one or `last` is set; returns it in eval mode on
// `device`.
std::shared_ptr<models::Model> load_experiment(const std::string& name,
                                               const std::vector<std::string>& overrides = {},
                                               bool last = false, Device device = kCPU);
// The experiment's config.toml with `overrides` applied.
Config experiment_config(const std::string& name, const std::vector<std::string>& overrides = {});
// The checkpoint load_experiment would read ("" when the experiment has none).
std::string experiment_checkpoint(const std::string& name, bool last = false);

// Runs the experiment `name` as `sptrain train|train_base|train_joint` do: under mpirun
// one rank of a data-parallel run (init_distributed on the device train.device asks for,
// the saved config's under options.restore), else one process. Rank 0 prints where the
// run ended, prefixed with `what`. Errors are thrown; under mpirun the app ends the job
// (abort_distributed_job) so that the other ranks do not wait in a collective.
TrainResult train_experiment(const std::string& name, const Config& config,
                             const TrainOptions& options, const std::string& what);

}  // namespace sp::train

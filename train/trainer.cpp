#include "train/trainer.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "autograd/grad_mode.h"
#include "autograd/var.h"
#include "nn/module.h"
#include "nn/optim/clip.h"
#include "nn/training_state.h"
#include "tensor/check.h"
#include "tensor/cuda/context.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/elementwise.h"
#include "tensor/ops/operators.h"
#include "tensor/ops/random.h"
#include "train/distributed/data_parallel.h"
#include "train/distributed/gradient_bucketer.h"
#include "train/distributed/sync_batch_norm.h"
#include "train/interrupt.h"
#include "train/model_config.h"
#include "train/progress.h"

namespace fs = std::filesystem;

namespace sp::train {

namespace {

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string format_value(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

int64_t count_parameters(const models::Model& m) {
  int64_t n = 0;
  for (const auto& p : m.parameters()) n += p.numel();
  return n;
}

}  // namespace

Trainer::Trainer(const std::string& name, const Config& config, TrainOptions options,
                 std::shared_ptr<Communicator> comm)
    : name_(name), options_(options), comm_(std::move(comm)) {
  if (!comm_) comm_ = std::make_shared<SingleProcessCommunicator>();
  const int world = comm_->world_size();
  const bool root = comm_->is_root();
  if (root || options.restore) check_experiment_folder(name, options.restore, options.overwrite);
  // --restore resumes the latest checkpoint; with none yet (a run killed before its first
  // save, or never started) it starts from step 0, so a job script can always pass it.
  const std::string dir = experiments_root() + "/" + name;
  const bool saved_config = fs::exists(dir + "/config.toml");
  resuming_ = options.restore && CheckpointManager(dir + "/checkpoints", 1).latest().has_value();
  if (options.restore && saved_config) {
    config_ = Config::from_file(dir + "/config.toml");
    config_.merge(config);
  } else {
    SP_CHECK(!options.restore || !config.keys().empty(), "trainer: expected --conf FILE: ", dir,
             " holds no run to restore");
    config_ = config;
  }
  if (options.overfit) config_.apply_override("train.overfit=true");

  // Every table is read (strictly) before anything is written to disk.
  ConfigReader reader(config_);
  tc_ = TrainConfig::from(reader);
  manual_seed(tc_.seed);  // the model's initialisation draws from this stream
  model_ = build_model(reader);
  // Weights to start from (a MagicPoint checkpoint for SuperPoint, COCO weights for KITTI,
  // superpoint_v1.pth): matched by name, keys the model lacks or misses are reported.
  const std::string pretrained = reader.get<std::string>("model.pretrained", "");
  DataOptions data_options;
  data_options.size_multiple = model_->image_size_multiple();
  data_options.model = model_->type_name();
  data_ = make_datasets(reader, data_options);
  reader.allow_table("benchmarks");  // read by the benchmark hook (--run_benchmarks)
  reader.finish();
  nn::LoadResult loaded;
  if (!pretrained.empty() && !options.restore)
    loaded = nn::load_weights(*model_, pretrained, /*strict=*/false);

  device_ = tc_.resolved_device();
  if (device_.is_cuda()) cuda::set_allow_tf32(tc_.tf32);
  if (world > 1) {
    SP_CHECK(tc_.batch_size % world == 0, "trainer: expected train.batch_size divisible by the ",
             world, " ranks (it is the global batch), got ", tc_.batch_size);
    device_ = device_for_rank(device_, comm_->local_rank());
    if (tc_.sync_batch_norm) convert_sync_batch_norm(*model_, comm_);
  }
  model_->to(device_);
  model_->train();
  std::vector<ag::Var> params;
  for (const auto& p : model_->parameters())
    if (p.requires_grad()) params.push_back(p);
  optimizer_ = make_optimizer(tc_, params);

  data::LoaderOptions lo;
  lo.batch_size = tc_.batch_size / world;
  lo.workers = tc_.workers;
  lo.prefetch = tc_.prefetch;
  lo.shuffle = tc_.shuffle;
  lo.drop_last = true;
  lo.seed = tc_.seed;
  lo.device = device_;
  if (world > 1) {
    // The sampler shuffles (the same permutation on every rank); each rank loads its shard.
    sharded_train_ = std::make_shared<ShardedDataset>(
        data_.train,
        ShardSampler(data_.train->size(), comm_->rank(), world, tc_.seed, tc_.shuffle));
    lo.shuffle = false;
    train_loader_ = std::make_unique<data::Loader>(sharded_train_, lo);
  } else {
    train_loader_ = std::make_unique<data::Loader>(data_.train, lo);
  }
  steps_per_epoch_ = train_loader_->num_batches();
  SP_CHECK(steps_per_epoch_ > 0, "trainer: expected at least one batch of ", tc_.batch_size / world,
           " training samples per rank, got ", data_.train->size(), " samples for ", world,
           " rank(s); hint: lower train.batch_size");
  total_steps_ = tc_.max_steps > 0 ? tc_.max_steps : tc_.epochs * steps_per_epoch_;
  if (data_.val && !tc_.overfit && root) {
    data::LoaderOptions vo = lo;
    vo.batch_size = tc_.val_batch_size > 0 ? tc_.val_batch_size : tc_.batch_size;
    vo.shuffle = false;
    vo.drop_last = false;
    val_loader_ = std::make_unique<data::Loader>(data_.val, vo);
  }
  schedule_ = make_lr_schedule(tc_, total_steps_);

  if (root) {
    experiment_ = std::make_unique<Experiment>(name, config_, options.restore, options.overwrite);
    checkpoints_ =
        std::make_unique<CheckpointManager>(experiment_->checkpoint_dir(), tc_.keep_last_n);
    checkpoints_->remove_temporaries();  // left by a process killed while saving
    events_ = std::make_unique<EventWriter>(experiment_->dir());
  } else {
    // Other ranks only read the checkpoint to restore (the same file as rank 0).
    checkpoints_ = std::make_unique<CheckpointManager>(
        experiments_root() + "/" + name + "/checkpoints", tc_.keep_last_n);
  }

  std::ostringstream head;
  head << "experiment " << (experiment_ ? experiment_->dir() : name) << " | model "
       << model_->type_name() << " (" << count_parameters(*model_) << " parameters) on " << device_
       << " | " << tc_.optimizer << " lr " << format_value(tc_.lr) << " | batch " << tc_.batch_size
       << ", " << steps_per_epoch_ << " steps/epoch, " << total_steps_ << " steps"
       << (tc_.overfit ? " | OVERFIT (one batch)" : "");
  if (world > 1)
    head << " | " << world << " ranks (" << comm_->backend() << "), " << tc_.batch_size / world
         << " per rank" << (tc_.sync_batch_norm ? ", SyncBatchNorm" : "");
  log(head.str());
  log("data: " + data_.description);
  if (!pretrained.empty() && !options.restore)
    log("pretrained: " + pretrained + " (" + std::to_string(loaded.missing_keys.size()) +
        " model keys not in it, " + std::to_string(loaded.unexpected_keys.size()) +
        " of its keys unused)");
  if (resuming_)
    restore_latest();
  else if (options.restore)
    log("restore: no checkpoint in " + dir + "/checkpoints yet; starting from step 0");
  // Rows a killed run logged after its last checkpoint are logged again by this one.
  if (options.restore && experiment_) experiment_->drop_metrics_after(step_);
  if (world > 1) {
    // Identical starting weights everywhere (a no-op after a restore: all ranks read the
    // same file), then one bucketer over the parameters the optimizer updates.
    broadcast_parameters(*model_, *comm_);
    bucketer_ = std::make_unique<GradientBucketer>(params, comm_);
  }
}

void Trainer::log(const std::string& line) {
  if (experiment_) experiment_->log(line);
}

Trainer::~Trainer() = default;

void Trainer::restore_latest() {
  auto latest = checkpoints_->latest();
  SP_CHECK(latest.has_value(), "trainer: expected a checkpoint to restore in ", checkpoints_->dir(),
           ", got none; hint: start the run without --restore");
  nn::Checkpoint c = nn::load_checkpoint(latest->path);
  state_ = split_trainer_state(c);
  step_ = nn::restore(c, *model_, optimizer_.get(), &default_generator(), latest->path);
  last_save_step_ = step_;
  log("restored step " + std::to_string(step_) + " (epoch " + std::to_string(state_.epoch) +
      ") from " + latest->path);
}

double Trainer::schedule_lr() const {
  const int64_t t = tc_.lr_schedule.on_epoch ? step_ / steps_per_epoch_ : step_;
  return schedule_->lr(t);
}

void Trainer::train_step(const data::Batch& batch) {
  models::Batch b = models::make_batch(batch);
  model_->train();
  optimizer_->zero_grad();
  std::optional<ag::AnomalyGuard> anomaly;
  if (tc_.detect_anomaly) anomaly.emplace();
  models::Losses losses;
  try {
    models::Predictions pred = model_->run(b);
    losses = model_->loss(pred, b);
    SP_CHECK(losses.total.defined() && losses.total.numel() == 1, "trainer: expected ",
             model_->type_name(), "::loss to return a scalar total, got ",
             losses.total.defined() ? losses.total.data().meta() : "none");
    record_nonfinite(losses.total.data());
    // Where reading the loss back costs nothing (the CPU), or the ranks must agree anyway,
    // a bad loss stops the run before its backward; on one GPU the check waits for the
    // next log, evaluation or checkpoint (check_finite), so steps do not synchronize.
    if (device_.is_cpu() || bucketer_) check_finite();
    // World size > 1: each bucket's all-reduce starts during backward once its gradients
    // are final; on return every rank holds the same averaged gradients.
    if (bucketer_)
      bucketer_->backward(losses.total);
    else
      ag::backward(losses.total);
  } catch (const Error& e) {
    // Anomaly mode names the op that produced a NaN/Inf: stop like a bad loss does.
    if (tc_.detect_anomaly && std::string(e.what()).rfind("anomaly:", 0) == 0)
      stop_nonfinite(e.what(), step_ + 1);
    throw;
  }
  if (tc_.clip_grad_norm > 0) {
    const double norm = nn::optim::clip_grad_norm_(optimizer_->params(), tc_.clip_grad_norm);
    if (!std::isfinite(norm))
      stop_nonfinite("the gradient norm is " + format_value(norm), step_ + 1);
  }
  optimizer_->set_lr(schedule_lr());
  optimizer_->step();
  // Device tensors; read back only when logging.
  if (!losses.terms.count("total")) losses.terms["total"] = losses.total.data();
  for (const auto& [k, v] : losses.terms) {
    const Tensor term = v.to(DType::F64).reshape({});
    auto it = term_sums_.find(k);
    if (it == term_sums_.end())
      term_sums_[k] = term.clone();
    else
      it->second += term;
  }
  ++term_count_;
}

void Trainer::record_nonfinite(const Tensor& total) {
  if (!first_nonfinite_.defined()) first_nonfinite_ = full({}, -1, DType::I64, total.device());
  const Tensor bad =
      logical_and(logical_not(isfinite(total.reshape({}))), first_nonfinite_ < Scalar(int64_t(0)));
  first_nonfinite_ =
      where(bad, full({}, double(step_ + 1), DType::I64, total.device()), first_nonfinite_);
}

void Trainer::check_finite() {
  int64_t bad = first_nonfinite_.defined() ? first_nonfinite_.item<int64_t>() : -1;
  if (bucketer_ && any_rank(*comm_, bad >= 0) && bad < 0) bad = step_ + 1;  // another rank's loss
  if (bad >= 0)
    stop_nonfinite(std::string("the loss is not finite") + (bucketer_ ? " (on some rank)" : ""),
                   bad);
}

void Trainer::stop_nonfinite(const std::string& what, int64_t step) {
  std::string latest = "none";
  if (checkpoints_)
    if (auto c = checkpoints_->latest()) latest = c->path;
  const std::string message =
      "trainer: " + what + " at step " + std::to_string(step) +
      "; stopped without saving, the latest checkpoint stays " + latest +
      (tc_.detect_anomaly ? "" : "; hint: train.detect_anomaly=true names the op") +
      "; lower train.lr or set train.clip_grad_norm, then --restore";
  log(message);
  SP_FAIL(message);
}

void Trainer::log_train() {
  if (term_count_ == 0) return;
  if (!bucketer_) check_finite();
  const double t = now_s();
  const double rate =
      t > interval_start_s_ ? double(step_ - interval_start_step_) / (t - interval_start_s_) : 0.0;
  const double overall =
      t > run_start_s_ ? double(step_ - run_start_step_) / (t - run_start_s_) : 0.0;
  std::map<std::string, double> row;
  std::ostringstream line;
  line << "[E " << (step_ - 1) / steps_per_epoch_ << " | step " << step_ << "/" << total_steps_
       << "] loss";
  const double lr = optimizer_->lr();
  result_.last_train.clear();
  for (const auto& [k, sum] : term_sums_) {
    double mean = sum.item<double>() / double(term_count_);
    // Every rank holds the same terms in the same (map) order: one collective each.
    if (bucketer_) mean = mean_over_ranks(*comm_, mean);
    result_.last_train[k] = mean;
  }
  if (!comm_->is_root()) {
    term_sums_.clear();
    term_count_ = 0;
    interval_start_s_ = t;
    interval_start_step_ = step_;
    return;
  }
  for (const auto& [k, mean] : result_.last_train) {
    row["loss/" + k] = mean;
    events_->add_scalar("train/loss/" + k, mean, step_);
    line << ' ' << k << ' ' << format_value(mean);
  }
  row["lr"] = lr;
  row["steps_per_s"] = rate;
  events_->add_scalar("train/lr", lr, step_);
  events_->add_scalar("train/steps_per_s", rate, step_);
  events_->add_scalar("train/epoch", double(step_) / double(steps_per_epoch_), step_);
  line << " | lr " << format_value(lr) << " | " << format_value(rate) << " it/s";
  if (overall > 0) line << " | ETA " << format_duration(double(total_steps_ - step_) / overall);
  log(line.str());
  experiment_->append_metrics(step_, "train", row);
  events_->flush();
  term_sums_.clear();
  term_count_ = 0;
  interval_start_s_ = t;
  interval_start_step_ = step_;
}

nn::Checkpoint Trainer::capture() const {
  nn::Checkpoint c =
      nn::capture(*model_, optimizer_.get(), step_, default_generator(), config_.to_toml());
  TrainerState s = state_;
  s.epoch = step_ > 0 ? (step_ - 1) / steps_per_epoch_ : 0;
  put_trainer_state(c, s);
  return c;
}

std::string Trainer::save(bool interrupted) {
  // Never save weights that a non-finite loss has touched (a data-parallel run checked
  // every step already, with a collective rank 0 cannot call alone here).
  if (!bucketer_) check_finite();
  nn::Checkpoint c = capture();
  const int64_t epoch = step_ > 0 ? (step_ - 1) / steps_per_epoch_ : 0;
  const std::string path = checkpoints_->save(c, epoch, interrupted);
  last_save_step_ = step_;
  result_.last_checkpoint = path;
  log("saved " + path);
  return path;
}

TrainResult Trainer::run() {
  InterruptGuard guard;
  const bool root = comm_->is_root();
  std::optional<Progress> progress;
  if (root) progress.emplace("step", total_steps_, step_);
  run_start_s_ = interval_start_s_ = now_s();
  run_start_step_ = interval_start_step_ = step_;
  if (tc_.overfit && !overfit_batch_) {
    if (sharded_train_) sharded_train_->set_epoch(0);
    train_loader_->start_epoch(0);
    overfit_batch_ = train_loader_->next();
  }
  bool stopped = false;
  if (root && options_.benchmarks && step_ == 0) run_benchmarks(0);
  while (step_ < total_steps_ && !stopped) {
    const int64_t epoch = step_ / steps_per_epoch_;
    if (!tc_.overfit) {
      // Resume inside the epoch: the loader's batches are a pure function of
      // (seed, epoch, index), so starting at the step's index lands on the same batch.
      if (sharded_train_) sharded_train_->set_epoch(epoch);
      train_loader_->start_epoch(epoch, step_ % steps_per_epoch_);
    }
    while (step_ < total_steps_) {
      std::optional<data::Batch> batch = tc_.overfit ? overfit_batch_ : train_loader_->next();
      if (!batch) break;
      train_step(*batch);
      ++step_;
      // The loss shown is the last logged mean: reading it every step would synchronize.
      if (progress) {
        auto it = result_.last_train.find("total");
        progress->update(step_, {{"loss", it == result_.last_train.end() ? 0.0 : it->second}});
      }
      if (step_ % tc_.log_every == 0) log_train();
      // Validation and checkpoints are rank 0's (its weights are every rank's).
      if (root && tc_.eval_every > 0 && step_ % tc_.eval_every == 0) evaluate();
      if (root && tc_.save_every > 0 && step_ % tc_.save_every == 0) save(false);
      if (root && options_.benchmarks && step_ % steps_per_epoch_ == 0)
        run_benchmarks(step_ / steps_per_epoch_);
      bool stop = interrupt_requested();
      if (bucketer_) stop = any_rank(*comm_, stop);  // Ctrl+C on any rank stops all at this step
      if (stop) {
        stopped = true;
        break;
      }
      if (tc_.overfit && step_ % steps_per_epoch_ == 0) break;
    }
  }
  if (progress) progress->finish();
  log_train();
  if (stopped) {
    clear_interrupt();
    log("interrupted at step " + std::to_string(step_) + "; resume with --restore");
    if (root) save(true);
  } else if (root) {
    if (last_eval_step_ != step_) evaluate();
    if (last_save_step_ != step_) save(false);
  }
  result_.steps = step_;
  result_.epoch = step_ > 0 ? (step_ - 1) / steps_per_epoch_ : 0;
  result_.interrupted = stopped;
  if (events_) events_->flush();
  return result_;
}

namespace {

Device requested_device(const std::string& name, const Config& config, bool restore) {
  Config c;
  const std::string saved = experiments_root() + "/" + name + "/config.toml";
  if (restore && std::ifstream(saved).good()) c = Config::from_file(saved);
  c.merge(config);
  ConfigReader reader(c);
  TrainConfig tc;
  tc.device = reader.get<std::string>("train.device", tc.device);
  return tc.resolved_device();
}

}  // namespace

TrainResult train_experiment(const std::string& name, const Config& config,
                             const TrainOptions& options, const std::string& what) {
  DistributedOptions d;  // init_distributed gives one process when not under mpirun
  if (launched_by_mpi()) d.device = requested_device(name, config, options.restore);
  Trainer trainer(name, config, options, init_distributed(d));
  TrainResult r = trainer.run();
  if (trainer.is_root())
    std::cerr << what << ": " << (r.interrupted ? "stopped" : "finished") << " at step " << r.steps
              << "; experiment " << trainer.experiment().dir() << ", last checkpoint "
              << r.last_checkpoint << "\n";
  return r;
}

}  // namespace sp::train

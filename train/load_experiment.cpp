// load_experiment: a trained model back from its experiment folder (Glue Factory's
// utils/experiments.load_experiment).
#include <filesystem>

#include "nn/checkpoint.h"
#include "tensor/check.h"
#include "train/checkpoints.h"
#include "train/model_config.h"
#include "train/trainer.h"

namespace fs = std::filesystem;

namespace sp::train {

Config experiment_config(const std::string& name, const std::vector<std::string>& overrides) {
  const std::string dir = experiments_root() + "/" + name;
  SP_CHECK(fs::exists(dir + "/config.toml"), "experiment: expected a trained experiment in ", dir,
           ", got no config.toml there; hint: SP_EXPER_PATH is ", experiments_root());
  Config c = Config::from_file(dir + "/config.toml");
  c.apply_overrides(overrides);
  return c;
}

std::string experiment_checkpoint(const std::string& name, bool last) {
  const std::string dir = experiments_root() + "/" + name + "/checkpoints";
  CheckpointManager manager(dir, 1);
  if (!last && fs::exists(manager.best_path())) return manager.best_path();
  auto latest = manager.latest();
  if (latest) return latest->path;
  return fs::exists(manager.best_path()) ? manager.best_path() : "";
}

std::shared_ptr<models::Model> load_experiment(const std::string& name,
                                               const std::vector<std::string>& overrides, bool last,
                                               Device device) {
  Config config = experiment_config(name, overrides);
  const std::string path = experiment_checkpoint(name, last);
  SP_CHECK(!path.empty(), "experiment: expected a checkpoint in ", experiments_root(), "/", name,
           "/checkpoints, got none");
  std::shared_ptr<models::Model> model = build_model(config);
  nn::Checkpoint c = nn::load_checkpoint(path);
  nn::TensorMap state = c.parameters;
  for (const auto& [k, t] : c.buffers) state[k] = t;
  model->load_state_dict(state, /*strict=*/true, path);
  model->to(device);
  model->eval();
  return model;
}

}  // namespace sp::train

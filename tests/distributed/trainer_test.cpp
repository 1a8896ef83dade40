// The Trainer data parallel: a run with the world's ranks (2 under mpirun) trains like one
// process with the same global batch, world size 1 through the distributed path is the
// plain trainer bit for bit, and only rank 0 writes the experiment folder.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "distributed/world.h"
#include "helpers/test_helpers.h"
#include "train/distributed/data_parallel.h"
#include "train/interrupt.h"
#include "train/tiny_model.h"
#include "train/trainer.h"

namespace fs = std::filesystem;

namespace sp::test {
namespace {

using train::Config;
using train::Trainer;

// Deterministic data and model (no noise), no shuffle: the global batch k of the
// sharded run is the plain loader's batch k. SGD keeps the comparison tight.
Config tiny_config(const std::vector<std::string>& overrides = {}) {
  Config c = Config::from_string(R"(
[model]
name = "test_conv"
noise = 0.0
[data]
name = "test_blobs"
noise = 0.0
train_size = 12
val_size = 4
[train]
device = "cpu"
seed = 5
optimizer = "sgd"
lr = 0.2
batch_size = 4
shuffle = false
workers = 1
max_steps = 5
log_every = 2
eval_every = 0
save_every = 2
images = 0
)",
                                 "dist.toml");
  c.apply_overrides(overrides);
  return c;
}

nn::TensorMap params(models::Model& m) {
  nn::TensorMap out;
  for (const auto& [k, v] : m.named_parameters()) out[k] = v.data().clone();
  return out;
}

class DistributedTrainer : public ::testing::Test {
 protected:
  void SetUp() override {
    register_test_components();
    train::clear_interrupt();
    // Each rank its own experiments root: rank 1's must stay empty.
    root_ = temp_dir("dist_trainer_r" + std::to_string(world()->rank()));
    setenv("SP_EXPER_PATH", root_.c_str(), 1);
  }
  void TearDown() override { unsetenv("SP_EXPER_PATH"); }
  std::string root_;
};

TEST_F(DistributedTrainer, AllRanksTrainLikeOneProcessWithTheGlobalBatch) {
  auto comm = world();
  Trainer dist("dist", tiny_config(), {}, comm);
  train::TrainResult r = dist.run();
  EXPECT_EQ(r.steps, 5);
  EXPECT_EQ(dist.steps_per_epoch(), 3);
  EXPECT_TRUE(train::parameters_in_sync(dist.model(), *comm));

  Trainer plain("plain", tiny_config());
  train::TrainResult rp = plain.run();
  nn::TensorMap a = params(dist.model()), b = params(plain.model());
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [k, v] : b) EXPECT_TRUE(all_close(a.at(k), v, 1e-5, 1e-6)) << k;
  // Logged losses are means over ranks: the global batch's mean.
  EXPECT_NEAR(r.last_train.at("mse"), rp.last_train.at("mse"), 1e-6);
}

TEST_F(DistributedTrainer, OnlyRankZeroWritesTheExperimentFolder) {
  auto comm = world();
  Trainer t("folder", tiny_config(), {}, comm);
  t.run();
  if (comm->is_root()) {
    const std::string dir = root_ + "/folder";
    EXPECT_TRUE(fs::exists(dir + "/log.txt"));
    EXPECT_TRUE(fs::exists(dir + "/metrics.csv"));
    EXPECT_TRUE(fs::exists(dir + "/config.toml"));
    EXPECT_TRUE(t.checkpoints().latest().has_value());
  } else {
    EXPECT_TRUE(fs::is_empty(root_)) << root_ << " holds files of rank " << comm->rank();
  }
}

TEST_F(DistributedTrainer, WorldSizeOneThroughTheDistributedPathIsThePlainTrainer) {
  auto single = std::make_shared<train::SingleProcessCommunicator>();
  Config c = tiny_config({"train.shuffle=true", "train.optimizer=\"adam\"", "data.noise=0.1", "model.noise=0.05"});
  Trainer via("via_comm", c, {}, single);
  via.run();
  Trainer plain("plain1", c);
  plain.run();
  nn::TensorMap a = params(via.model()), b = params(plain.model());
  for (const auto& [k, v] : b) EXPECT_TRUE(all_close(a.at(k), v, 0, 0)) << k;
}

}  // namespace
}  // namespace sp::test

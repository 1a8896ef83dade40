// The Trainer data parallel: a run with the world's ranks (2 under mpirun) trains like one
// process with the same global batch, world size 1 through the distributed path is the
// plain trainer bit for bit, and only rank 0 writes the experiment folder.
#include "train/trainer.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "distributed/world.h"
#include "helpers/test_helpers.h"
#include "nn/activation.h"
#include "nn/containers.h"
#include "nn/normalization.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/elementwise.h"
#include "tensor/ops/random.h"
#include "train/distributed/data_parallel.h"
#include "train/distributed/sync_batch_norm.h"
#include "train/interrupt.h"
#include "train/tiny_model.h"

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
  Config c = tiny_config(
      {"train.shuffle=true", "train.optimizer=\"adam\"", "data.noise=0.1", "model.noise=0.05"});
  Trainer via("via_comm", c, {}, single);
  via.run();
  Trainer plain("plain1", c);
  plain.run();
  nn::TensorMap a = params(via.model()), b = params(plain.model());
  for (const auto& [k, v] : b) EXPECT_TRUE(all_close(a.at(k), v, 0, 0)) << k;
}

TEST_F(DistributedTrainer, RestoreOnAllRanksContinuesLikeTheUninterruptedRun) {
  auto comm = world();
  // All ranks read rank 0's checkpoint: share rank 0's experiments root.
  std::vector<uint8_t> mine(root_.begin(), root_.end());
  const std::vector<uint8_t> first = comm->allgather_bytes(mine)[0];
  const std::string shared(first.begin(), first.end());
  setenv("SP_EXPER_PATH", shared.c_str(), 1);
  Trainer full("full", tiny_config({"train.shuffle=true"}), {}, comm);
  full.run();
  {
    Trainer part("part", tiny_config({"train.shuffle=true", "train.max_steps=2"}), {}, comm);
    part.run();
  }
  comm->barrier();  // rank 0's checkpoint is on disk before anyone restores
  train::TrainOptions restore;
  restore.restore = true;
  Trainer resumed("part", tiny_config({"train.shuffle=true"}), restore, comm);
  EXPECT_EQ(resumed.step(), 2);
  resumed.run();
  nn::TensorMap a = params(resumed.model()), b = params(full.model());
  for (const auto& [k, v] : b) EXPECT_TRUE(all_close(a.at(k), v, 0, 0)) << k;
}

TEST(ConvertSyncBatchNorm, ReplacesBatchNormInSequentialsKeepingStateAndOutput) {
  Generator gen(11);
  auto seq = std::make_shared<nn::Sequential>();
  seq->push_back(std::make_shared<nn::BatchNorm2d>(3, 1e-3, 0.2));
  seq->push_back(std::make_shared<nn::ReLU>());
  nn::TensorMap state = seq->state_dict();
  state["0.running_mean"].copy_(randn({3}, gen));
  state["0.running_var"].copy_(add(rand({3}, gen), Scalar(0.5)));
  state["0.weight"].copy_(randn({3}, gen));
  seq->eval();
  ag::Var x(randn({2, 3, 4, 5}, gen));
  Tensor before = (*seq)(x).data().clone();
  const nn::TensorMap old_state = seq->state_dict();

  EXPECT_EQ(train::convert_sync_batch_norm(*seq, world()), 1);
  EXPECT_EQ(seq->children()[0].second->type_name(), "SyncBatchNorm");
  EXPECT_FALSE(seq->children()[0].second->is_training());
  const nn::TensorMap new_state = seq->state_dict();
  ASSERT_EQ(new_state.size(), old_state.size());
  for (const auto& [k, v] : old_state) EXPECT_TRUE(all_close(new_state.at(k), v, 0, 0)) << k;
  // Sequential forwards through the replacement (eval: the running statistics, eps 1e-3).
  EXPECT_TRUE(all_close((*seq)(x).data(), before, 1e-6, 1e-6));
  EXPECT_EQ(train::convert_sync_batch_norm(*seq, world()), 0);
}

}  // namespace
}  // namespace sp::test

#include "train/trainer.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "helpers/test_helpers.h"
#include "nn/checkpoint.h"
#include "tiny_model.h"
#include "train/checkpoints.h"
#include "train/interrupt.h"

namespace fs = std::filesystem;

namespace sp::train {
namespace {

// Each test gets its own experiments root.
class TrainerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    test::register_test_components();
    root_ = test::temp_dir("exp");
    setenv("SP_EXPER_PATH", root_.c_str(), 1);
    clear_interrupt();
  }
  void TearDown() override {
    unsetenv("SP_EXPER_PATH");
    clear_interrupt();
  }
  static Config config(const std::vector<std::string>& overrides = {}) {
    Config c = Config::from_string(R"(
[model]
name = "test_conv"
noise = 0.05
[data]
name = "test_blobs"
noise = 0.1
train_size = 12
val_size = 6
[train]
device = "cpu"
seed = 3
lr = 0.01
batch_size = 4
workers = 1
max_steps = 8
log_every = 2
eval_every = 4
save_every = 3
keep_last_n = 10
images = 0
)",
                                   "test.toml");
    c.apply_overrides(overrides);
    return c;
  }
  static std::string read(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  static nn::TensorMap params(models::Model& m) {
    nn::TensorMap out;
    for (const auto& [k, v] : m.named_parameters()) out[k] = v.data().clone();
    return out;
  }
  std::string root_;
};

TEST_F(TrainerTest, PretrainedWeightsAreLoadedByName) {
  Trainer first("first", config());
  first.run();
  nn::TensorMap trained = params(first.model());
  ASSERT_TRUE(first.checkpoints().latest().has_value());
  const std::string ckpt = first.checkpoints().latest()->path;
  Trainer second("second", config({"model.pretrained=\"" + ckpt + "\"", "train.seed=9"}));
  nn::TensorMap start = params(second.model());
  ASSERT_EQ(start.size(), trained.size());
  for (const auto& [k, v] : trained) EXPECT_TRUE(test::equal(start.at(k), v)) << k;
  EXPECT_SP_ERROR(Trainer("third", config({"model.pretrained=\"" + root_ + "/missing.h5\""})),
                  "missing.h5");
}

TEST_F(TrainerTest, RestoreFromStepKIsBitwiseEqualToUninterruptedRun) {
  // 8 steps over 3 batches per epoch: the restore lands mid-epoch (step 5 = epoch 1, batch 2).
  Trainer full("full", config());
  full.run();
  nn::TensorMap expected = params(full.model());

  {
    Trainer first("resumed", config({"train.max_steps=5"}));
    EXPECT_EQ(first.run().steps, 5);
  }
  Trainer second("resumed", config(), TrainOptions{.restore = true});
  EXPECT_EQ(second.step(), 5);
  TrainResult r = second.run();
  EXPECT_EQ(r.steps, 8);
  nn::TensorMap got = params(second.model());
  ASSERT_EQ(got.size(), expected.size());
  for (const auto& [k, t] : expected) EXPECT_TRUE(test::equal(got.at(k), t)) << k;

  // And the restored run really moved: its parameters differ from the step-5 checkpoint.
  nn::Checkpoint at5 = nn::load_checkpoint(root_ + "/resumed/checkpoints/checkpoint_1_5.h5");
  EXPECT_FALSE(test::equal(at5.parameters.at("conv.weight"), got.at("conv.weight")));
}

TEST_F(TrainerTest, OverfitDrivesTheLossNearZero) {
  Trainer t("overfit",
            config({"model.noise=0.0", "data.noise=0.0", "train.lr=0.05", "train.max_steps=400",
                    "train.log_every=50", "train.eval_every=0", "train.save_every=0"}),
            TrainOptions{.overfit = true});
  TrainResult r = t.run();
  ASSERT_TRUE(r.last_train.count("mse"));
  EXPECT_LT(r.last_train.at("mse"), 1e-4);
  // Validation in overfit mode is the overfitted batch itself.
  ASSERT_TRUE(r.last_val.count("loss/mse"));
  EXPECT_LT(r.last_val.at("loss/mse"), 1e-4);
  EXPECT_NE(read(root_ + "/overfit/log.txt").find("OVERFIT"), std::string::npos);
}

TEST_F(TrainerTest, InterruptWritesACheckpointAndRestoreFinishes) {
  Trainer t("stop", config());
  request_interrupt();  // what the SIGINT handler does
  TrainResult r = t.run();
  EXPECT_TRUE(r.interrupted);
  EXPECT_EQ(r.steps, 1);
  EXPECT_FALSE(interrupt_requested());
  const std::string ckpt = root_ + "/stop/checkpoints/checkpoint_0_1_interrupted.h5";
  EXPECT_TRUE(fs::exists(ckpt));
  EXPECT_EQ(r.last_checkpoint, ckpt);
  Trainer again("stop", config(), TrainOptions{.restore = true});
  EXPECT_EQ(again.step(), 1);
  EXPECT_EQ(again.run().steps, 8);
  // Once newer checkpoints exist, the interrupted one is pruned.
  EXPECT_FALSE(fs::exists(ckpt));
}

TEST_F(TrainerTest, SigintOnlyRaisesTheFlag) {
  InterruptGuard guard;
  std::raise(SIGINT);
  EXPECT_TRUE(interrupt_requested());
  clear_interrupt();
}

TEST_F(TrainerTest, KeepsTheLastNCheckpoints) {
  Trainer t("keep", config({"train.save_every=1", "train.keep_last_n=2", "train.max_steps=5"}));
  t.run();
  std::vector<CheckpointFile> files = t.checkpoints().list();
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0].step, 4);
  EXPECT_EQ(files[1].step, 5);
  EXPECT_EQ(files[1].epoch, 1);
}

TEST_F(TrainerTest, TracksTheBestCheckpointAndWritesLogs) {
  Trainer t("best", config({"train.eval_every=1", "train.lr=0.2"}));
  t.run();
  const std::string dir = root_ + "/best";
  // metrics.csv: long format with train and val rows.
  std::ifstream csv(dir + "/metrics.csv");
  std::string line;
  std::getline(csv, line);
  EXPECT_EQ(line, "step,split,key,value");
  double best = 1e30;
  int64_t best_step = -1, val_rows = 0, train_rows = 0;
  while (std::getline(csv, line)) {
    std::stringstream ss(line);
    std::string step, split, key, value;
    std::getline(ss, step, ',');
    std::getline(ss, split, ',');
    std::getline(ss, key, ',');
    std::getline(ss, value, ',');
    train_rows += split == "train";
    if (split == "val" && key == "loss/total") {
      ++val_rows;
      if (std::stod(value) < best) {
        best = std::stod(value);
        best_step = std::stoll(step);
      }
    }
  }
  EXPECT_EQ(val_rows, 8);
  EXPECT_GT(train_rows, 0);
  nn::Checkpoint c = nn::load_checkpoint(dir + "/checkpoints/checkpoint_best.h5");
  TrainerState s = split_trainer_state(c);
  EXPECT_TRUE(s.has_best);
  EXPECT_EQ(s.best_step, best_step);
  EXPECT_EQ(c.step, best_step);
  EXPECT_NEAR(s.best_value, best, 1e-6 * std::abs(best) + 1e-12);

  const std::string log = read(dir + "/log.txt");
  EXPECT_NE(log.find("[E 0 | step 2/8] loss"), std::string::npos) << log;
  EXPECT_NE(log.find("val loss/mse"), std::string::npos);
  EXPECT_NE(log.find("saved "), std::string::npos);
  EXPECT_TRUE(fs::exists(dir + "/config.toml"));
  bool events = false;
  for (const auto& e : fs::directory_iterator(dir))
    events |= e.path().filename().string().rfind("events.out.tfevents.", 0) == 0;
  EXPECT_TRUE(events);
}

TEST_F(TrainerTest, LoadExperimentReturnsTheBestModelInEvalMode) {
  {
    Trainer t("load", config({"train.eval_every=2"}));
    t.run();
  }
  std::shared_ptr<models::Model> m = load_experiment("load");
  EXPECT_FALSE(m->is_training());
  nn::Checkpoint best = nn::load_checkpoint(root_ + "/load/checkpoints/checkpoint_best.h5");
  EXPECT_TRUE(
      test::equal(m->named_parameters()[0].second.data(), best.parameters.at("conv.weight")));
  std::shared_ptr<models::Model> last = load_experiment("load", {}, /*last=*/true);
  nn::Checkpoint final_ckpt = nn::load_checkpoint(root_ + "/load/checkpoints/checkpoint_2_8.h5");
  EXPECT_TRUE(test::equal(last->named_parameters()[0].second.data(),
                          final_ckpt.parameters.at("conv.weight")));
  EXPECT_SP_ERROR(load_experiment("nothing"), "no config.toml");
}

TEST_F(TrainerTest, BadConfigKeysNameTheKey) {
  EXPECT_SP_ERROR(Trainer("bad1", config({"train.lr_shedule.type=exp"})),
                  "unknown key train.lr_shedule.type");
  EXPECT_SP_ERROR(Trainer("bad2", config({"train.bach_size=3"})), "did you mean train.batch_size?");
  EXPECT_SP_ERROR(Trainer("bad3", config({"model.nosie=0.1"})), "unknown key model.nosie");
  EXPECT_SP_ERROR(Trainer("bad4", config({"data.trian_size=3"})), "data.trian_size");
  EXPECT_SP_ERROR(Trainer("bad5", config({"train.optimizer=\"lbfgs\""})), "train.optimizer");
  EXPECT_SP_ERROR(Trainer("bad6", config({"data.name=\"nope\""})), "test_blobs");
  EXPECT_SP_ERROR(Trainer("bad7", config({"train.best_key=\"acc\""})).run(), "loss/mse");
  // Nothing was written for the rejected configs.
  EXPECT_FALSE(fs::exists(root_ + "/bad1"));
  Trainer("ok", config({"train.max_steps=1"})).run();
  EXPECT_SP_ERROR(Trainer("ok", config()), "--restore");
}

TEST_F(TrainerTest, RestoreWithoutACheckpointStartsFromStepZero) {
  // Never started: --restore with a config runs from step 0, like the plain run.
  Trainer plain("plain", config());
  plain.run();
  Trainer fresh("fresh", config(), TrainOptions{.restore = true});
  EXPECT_EQ(fresh.step(), 0);
  fresh.run();
  for (const auto& [k, t] : params(plain.model()))
    EXPECT_TRUE(test::equal(params(fresh.model()).at(k), t)) << k;
  EXPECT_NE(read(root_ + "/fresh/log.txt").find("starting from step 0"), std::string::npos);
  // Killed before its first checkpoint: the folder holds a config and some metrics only.
  {
    Trainer early("early", config({"train.save_every=0", "train.max_steps=2"}));
    early.experiment().append_metrics(2, "train", {{"loss/mse", 1.0}});
  }
  Trainer resumed("early", config(), TrainOptions{.restore = true});
  EXPECT_EQ(resumed.step(), 0);
  EXPECT_EQ(read(root_ + "/early/metrics.csv"),
            "step,split,key,value\n");  // the dead run's rows are gone
  EXPECT_EQ(resumed.run().steps, 8);
  // Nothing to restore and no config: say what is missing.
  EXPECT_SP_ERROR(Trainer("nothing", Config(), TrainOptions{.restore = true}),
                  "expected --conf FILE");
}

TEST_F(TrainerTest, NonFiniteLossStopsNamingTheStepAndKeepsTheLastGoodCheckpoint) {
  // Saves at steps 3 and 6 would happen; the 5th training forward turns NaN.
  Trainer t("nan", config({"model.nan_after=4"}));
  EXPECT_SP_ERROR(t.run(), "the loss is not finite at step 5");
  const auto latest = t.checkpoints().latest();
  ASSERT_TRUE(latest.has_value());
  EXPECT_EQ(latest->step, 3);
  EXPECT_NE(read(root_ + "/nan/log.txt").find("the latest checkpoint stays " + latest->path),
            std::string::npos);
  // Anomaly mode names the op.
  Trainer a("nan_anomaly", config({"model.nan_after=4", "train.detect_anomaly=true"}));
  EXPECT_SP_ERROR(a.run(), "anomaly: op 'mul' produced NaN/Inf in its output");
  EXPECT_NE(read(root_ + "/nan_anomaly/log.txt").find("at step 5"), std::string::npos);
  // A non-finite gradient norm stops too (clipping computes it).
  Trainer g("nan_grad", config({"model.nan_after=4", "train.clip_grad_norm=1.0"}));
  EXPECT_SP_ERROR(g.run(), "at step 5");
}

// In a child process with a file-size limit (what a full disk looks like to a writer:
// writes fail part-way), a checkpoint save fails with a clear error and leaves neither the
// checkpoint nor its temporary file.
TEST_F(TrainerTest, FullDiskLeavesNoHalfWrittenCheckpoint) {
  Trainer t("full_disk", config({"train.max_steps=1"}));
  t.run();
  const std::string dir = root_ + "/full_disk/checkpoints";
  const nn::Checkpoint c = nn::load_checkpoint(t.checkpoints().latest()->path);
  const std::string target = dir + "/checkpoint_9_99.h5";
  const std::string message_file = root_ + "/full_disk_message.txt";
  const pid_t pid = fork();
  if (pid == 0) {
    signal(SIGXFSZ, SIG_IGN);  // writes beyond the limit fail with EFBIG instead of killing
    struct rlimit limit {
      4096, 4096
    };
    setrlimit(RLIMIT_FSIZE, &limit);
    try {
      nn::save_checkpoint(target, c);
      _exit(0);
    } catch (const Error& e) {
      std::ofstream(message_file) << e.what();
      _exit(3);
    }
  }
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 3) << "the save should have failed";
  EXPECT_NE(read(message_file).find("checkpoint_9_99.h5"), std::string::npos) << read(message_file);
  EXPECT_FALSE(fs::exists(target));
  for (const auto& e : fs::directory_iterator(dir))
    EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos) << e.path();
}

TEST_F(TrainerTest, UnwritableExperimentFolderIsAClearError) {
  if (geteuid() == 0)
    GTEST_SKIP() << "root writes anywhere; the full-disk test covers failed writes";
  fs::create_directories(root_ + "/locked");
  fs::permissions(root_ + "/locked", fs::perms::owner_read | fs::perms::owner_exec);
  EXPECT_SP_ERROR(Trainer("locked", config()), "locked");
  fs::permissions(root_ + "/locked", fs::perms::owner_all);
}

}  // namespace
}  // namespace sp::train

// Training that survives being killed: `sptrain train` (the app, as a process) on a tiny
// MagicPoint is killed with SIGKILL at random moments and right when a checkpoint's
// temporary file appears, resumed with --restore each time (also before its first
// checkpoint), and must end bitwise equal to an uninterrupted run: parameters, buffers,
// optimizer state, step and trainer state, with 1 and with 2 OpenMP threads.
// SP_KILL_TRIALS sets the trials per thread count (default 1; docs/RELIABILITY.md
// records a run of 10 + 10).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <thread>

#include "helpers/test_helpers.h"
#include "nn/checkpoint.h"
#include "train/checkpoints.h"

namespace sp::train {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr int kMaxKills = 8;  // per trial; then the run may finish

const char* kConfig = R"([model]
name = "magicpoint"
batch_norm = true
width = 0.25
detection_threshold = 0.05
[data]
name = "synthetic_shapes"
resize = [40, 48]
canvas = [80, 96]
blur_size = 5
split_sizes = [12, 2, 0]
cache = false
[train]
seed = 5
device = "cpu"
lr = 0.003
max_steps = 24
batch_size = 4
workers = 1
log_every = 4
eval_every = 8
save_every = 4
keep_last_n = 2
images = 0
)";

struct Outcome {
  int exit_code = -1;      // -1: killed
  bool mid_write = false;  // a checkpoint's temporary file was left behind
  double seconds = 0;      // wall time until it exited or was killed
};

// Runs `sptrain train NAME --conf CONF --restore` with `threads` OpenMP threads; kills
// it after `kill_after_s` (< 0: never), or, when `on_write`, as soon as the temporary
// file of its second save shows up (the first save lets every attempt make progress).
Outcome run_once(const std::string& exe, const std::string& root, const std::string& name,
                 const std::string& conf, int threads, double kill_after_s, bool on_write) {
  const std::string log = root + "/" + name + ".log";
  std::fflush(stdout);  // or the child's freopen would print the buffer again
  std::fflush(stderr);
  const pid_t pid = fork();
  if (pid == 0) {
    setenv("SP_EXPER_PATH", root.c_str(), 1);
    setenv("OMP_NUM_THREADS", std::to_string(threads).c_str(), 1);
    if (FILE* f = std::freopen(log.c_str(), "a", stderr)) (void)f;
    if (FILE* f = std::freopen("/dev/null", "w", stdout)) (void)f;
    execl(exe.c_str(), exe.c_str(), "train", name.c_str(), "--conf", conf.c_str(), "--restore",
          (char*)nullptr);
    _exit(127);
  }
  const std::string checkpoints = root + "/" + name + "/checkpoints";
  std::set<std::string> saves_seen;
  auto temporary_present = [&] {
    std::error_code ec;
    bool any = false;
    for (const auto& e : fs::directory_iterator(checkpoints, ec)) {
      const std::string file = e.path().filename().string();
      if (file.find(".tmp") == std::string::npos) continue;
      any = true;
      if (file.rfind("checkpoint_best", 0) != 0) saves_seen.insert(file);  // step checkpoints
    }
    return any;
  };
  const auto start = Clock::now();
  Outcome out;
  for (;;) {
    int status = 0;
    out.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    if (waitpid(pid, &status, WNOHANG) == pid) {
      out.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return out;
    }
    const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    const bool writing = on_write && temporary_present() && saves_seen.size() >= 2;
    if ((kill_after_s >= 0 && elapsed >= kill_after_s) || writing || elapsed > 300) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      out.mid_write = temporary_present();
      return out;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(on_write ? 200 : 2000));
  }
}

// The newest checkpoint of an experiment, loaded.
nn::Checkpoint final_checkpoint(const std::string& root, const std::string& name) {
  CheckpointManager m(root + "/" + name + "/checkpoints", 2);
  auto latest = m.latest();
  EXPECT_TRUE(latest.has_value()) << name;
  return latest ? nn::load_checkpoint(latest->path) : nn::Checkpoint{};
}

void expect_bitwise_equal(const nn::TensorMap& a, const nn::TensorMap& b, const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (const auto& [k, t] : a) {
    ASSERT_TRUE(b.count(k)) << what << " " << k;
    EXPECT_TRUE(test::equal(t, b.at(k))) << what << " " << k;
  }
}

TEST(KillRestore, SigkillAtRandomMomentsThenRestoreIsBitwiseEqual) {
  const std::string exe = std::string(SP_BINARY_DIR) + "/apps/sptrain";
  if (!fs::exists(exe)) GTEST_SKIP() << "sptrain not built";
  const char* env = std::getenv("SP_KILL_TRIALS");
  const int trials = env ? std::atoi(env) : 1;
  const std::string root = test::temp_dir("kill_restore");
  fs::remove_all(root);
  fs::create_directories(root);
  const std::string conf = root + "/tiny.toml";
  std::ofstream(conf) << kConfig;
  std::mt19937 rng(12345);
  for (int threads : {1, 2}) {
    const std::string ref = "reference_" + std::to_string(threads);
    Outcome r = run_once(exe, root, ref, conf, threads, -1, false);
    ASSERT_EQ(r.exit_code, 0) << "the uninterrupted run failed; see " << root << "/" << ref
                              << ".log";
    const nn::Checkpoint expected = final_checkpoint(root, ref);
    double full_run_s = r.seconds;  // shrinks when a run ends before its random kill
    for (int t = 0; t < trials; ++t) {
      std::string name;
      int kills = 0, mid_write = 0;
      Outcome o;
      // A run that ends before its first (random) kill tests nothing: retry with a window
      // fitted to how long that run took.
      for (int retry = 0; retry < 4 && kills == 0; ++retry) {
        name = "trial_" + std::to_string(threads) + "_" + std::to_string(t) +
               (retry ? "_retry" + std::to_string(retry) : "");
        mid_write = 0;
        for (int attempt = 0; attempt <= kMaxKills; ++attempt) {
          // Alternate: a random moment within an uninterrupted run's time (the first one
          // often before any checkpoint), then the moment a step checkpoint is being
          // written; the last attempt runs to the end.
          const bool last = attempt == kMaxKills, on_write = !last && attempt % 2 == 1;
          const double delay = last || on_write ? -1
                                                : std::uniform_real_distribution<double>(
                                                      0.05 * full_run_s, 0.9 * full_run_s)(rng);
          o = run_once(exe, root, name, conf, threads, delay, on_write);
          if (o.exit_code >= 0) break;
          ++kills;
          mid_write += o.mid_write;
        }
        if (kills == 0) full_run_s = std::min(full_run_s, o.seconds);
      }
      ASSERT_EQ(o.exit_code, 0) << name << " did not finish; see " << root << "/" << name << ".log";
      const nn::Checkpoint got = final_checkpoint(root, name);
      EXPECT_EQ(got.step, expected.step) << name;
      expect_bitwise_equal(got.parameters, expected.parameters, name + " parameters");
      expect_bitwise_equal(got.buffers, expected.buffers, name + " buffers");
      expect_bitwise_equal(got.optimizer, expected.optimizer, name + " optimizer");
      std::printf(
          "[ kill -9 ] threads %d, %s: %d kills (%d while a checkpoint was being written), bitwise "
          "%s\n",
          threads, name.c_str(), kills, mid_write,
          ::testing::Test::HasFailure() ? "DIFFERENT" : "equal");
    }
  }
}

}  // namespace
}  // namespace sp::train

#include "train/checkpoints.h"

#include <algorithm>
#include <filesystem>
#include <regex>

#include "tensor/check.h"
#include "tensor/ops/creation.h"

namespace fs = std::filesystem;

namespace sp::train {

namespace {
const char* kEpoch = "trainer.epoch";
const char* kBest = "trainer.best_value";
const char* kBestStep = "trainer.best_step";
}  // namespace

void put_trainer_state(nn::Checkpoint& c, const TrainerState& s) {
  c.optimizer[kEpoch] = scalar_tensor(double(s.epoch), DType::I64);
  c.optimizer[kBestStep] = scalar_tensor(double(s.has_best ? s.best_step : -1), DType::I64);
  c.optimizer[kBest] = scalar_tensor(s.best_value, DType::F64);
}

TrainerState split_trainer_state(nn::Checkpoint& c) {
  TrainerState s;
  auto take = [&](const char* key) -> Tensor {
    auto it = c.optimizer.find(key);
    if (it == c.optimizer.end()) return Tensor();
    Tensor t = it->second;
    c.optimizer.erase(it);
    return t;
  };
  if (Tensor t = take(kEpoch); t.defined()) s.epoch = t.item<int64_t>();
  Tensor best_step = take(kBestStep), best = take(kBest);
  if (best_step.defined() && best.defined() && best_step.item<int64_t>() >= 0) {
    s.has_best = true;
    s.best_step = best_step.item<int64_t>();
    s.best_value = best.item<double>();
  }
  return s;
}

std::optional<CheckpointFile> parse_checkpoint_name(const std::string& name) {
  static const std::regex re(R"(checkpoint_(\d+)_(\d+)(_interrupted)?\.h5)");
  std::smatch m;
  if (!std::regex_match(name, m, re)) return std::nullopt;
  CheckpointFile f;
  f.path = name;
  f.epoch = std::stoll(m[1]);
  f.step = std::stoll(m[2]);
  f.interrupted = m[3].matched;
  return f;
}

std::vector<CheckpointFile> CheckpointManager::list() const {
  std::vector<CheckpointFile> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    if (auto f = parse_checkpoint_name(entry.path().filename().string())) {
      f->path = entry.path().string();
      out.push_back(*f);
    }
  }
  std::sort(out.begin(), out.end(), [](const CheckpointFile& a, const CheckpointFile& b) {
    return std::tie(a.step, a.interrupted, a.path) < std::tie(b.step, b.interrupted, b.path);
  });
  return out;
}

std::optional<CheckpointFile> CheckpointManager::latest() const {
  auto all = list();
  if (all.empty()) return std::nullopt;
  return all.back();
}

std::string CheckpointManager::save(const nn::Checkpoint& c, int64_t epoch, bool interrupted) {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  SP_CHECK(!ec, "checkpoints: could not create ", dir_, ": ", ec.message());
  const std::string path = dir_ + "/checkpoint_" + std::to_string(epoch) + "_" +
                           std::to_string(c.step) + (interrupted ? "_interrupted" : "") + ".h5";
  nn::save_checkpoint(path, c);
  prune();
  return path;
}

std::string CheckpointManager::save_best(const nn::Checkpoint& c) {
  nn::save_checkpoint(best_path(), c);
  return best_path();
}

void CheckpointManager::remove_temporaries() const {
  std::error_code ec;
  std::vector<fs::path> stale;
  for (const auto& entry : fs::directory_iterator(dir_, ec))
    if (entry.path().filename().string().find(".h5.tmp.") != std::string::npos)
      stale.push_back(entry.path());
  for (const fs::path& p : stale) fs::remove(p, ec);
}

void CheckpointManager::prune() const {
  auto all = list();
  int64_t kept = 0;
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    const bool newest = it == all.rbegin();
    if (kept < keep_ && (!it->interrupted || newest)) {
      ++kept;
      continue;
    }
    std::error_code ec;
    fs::remove(it->path, ec);
  }
}

}  // namespace sp::train

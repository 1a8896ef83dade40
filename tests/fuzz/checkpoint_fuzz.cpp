// HDF5 checkpoints and state_dict files (nn/checkpoint.cpp, tensor/io/hdf5.cpp), and
// restoring them into a module and its optimizer (nn/training_state.cpp), as
// `sptrain --restore`, `model.pretrained=` and `sptool inspect` do.
//
// Input: an HDF5 file, raw or built from a recipe (h5_recipe.h). Property: a restore
// that fails changes nothing (nn::restore's contract).
#include <cstring>
#include <memory>

#include "fuzz_util.h"
#include "h5_recipe.h"
#include "nn/checkpoint.h"
#include "nn/linear.h"
#include "nn/normalization.h"
#include "nn/optim/adam.h"
#include "nn/training_state.h"
#include "tensor/io/hdf5.h"

namespace {

using namespace sp;

const fuzz::H5Vocabulary& vocabulary() {
  static const fuzz::H5Vocabulary v{
      {"parameters/0.weight",
       "parameters/0.bias",
       "parameters/1.weight",
       "parameters/1.bias",
       "buffers/1.running_mean",
       "buffers/1.running_var",
       "buffers/1.num_batches_tracked",
       "optimizer/param_groups.0.lr",
       "optimizer/state.0.step",
       "optimizer/state.0.exp_avg",
       "optimizer/state.1.exp_avg_sq",
       "optimizer/state.3.step",
       "optimizer/state.12345678901234567890.step",
       "optimizer/trainer.epoch",
       "config",
       "0.weight",
       "0.bias",
       "1.running_var",
       "parameters",
       "buffers",
       "optimizer"},
      {"format", "version", "step", "rng_seed", "rng_offset", "sp_dtype"},
      {"sp-checkpoint", "sp-state-dict", "f16", "bf16", "bool", "f32", "i64", "u8"}};
  return v;
}

// Sequential(Linear(2, 3), BatchNorm2d(3)): parameters 0.weight [3, 2], 0.bias [3],
// 1.weight [3], 1.bias [3]; buffers 1.running_mean, 1.running_var, 1.num_batches_tracked.
struct Model {
  std::shared_ptr<nn::Sequential> module = std::make_shared<nn::Sequential>();
  std::unique_ptr<nn::optim::Adam> optimizer;
  Model() {
    module->push_back(std::make_shared<nn::Linear>(2, 3));
    module->push_back(std::make_shared<nn::BatchNorm2d>(3));
    optimizer = std::make_unique<nn::optim::Adam>(module->parameters(), nn::optim::AdamOptions{});
  }
};

bool same_state(const nn::TensorMap& a, const nn::TensorMap& b) {
  if (a.size() != b.size()) return false;
  for (const auto& [k, t] : a) {
    auto it = b.find(k);
    if (it == b.end() || it->second.shape() != t.shape() || it->second.dtype() != t.dtype())
      return false;
    if (std::memcmp(t.contiguous().data_ptr(), it->second.contiguous().data_ptr(), t.nbytes()) != 0)
      return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = fuzz::temp_path("checkpoint.h5");
  fuzz::make_h5(data, size, vocabulary(), path);
  fuzz::accepts([&] { io::read_all(path); });  // sptool inspect
  fuzz::accepts([&] { nn::load_state_dict_file(path); });
  nn::Checkpoint checkpoint;
  if (!fuzz::accepts([&] { checkpoint = nn::load_checkpoint(path); })) return 0;

  static Model model;  // built once: restore must leave it as it was whenever it fails
  nn::TensorMap before;
  for (auto& [k, t] : model.module->state_dict()) before[k] = t.clone();
  nn::TensorMap optimizer_before;
  for (auto& [k, t] : model.optimizer->state_dict()) optimizer_before[k] = t.clone();
  Generator rng(7, 9);
  if (!fuzz::accepts(
          [&] { nn::restore(checkpoint, *model.module, model.optimizer.get(), &rng, path); })) {
    SP_FUZZ_ASSERT(same_state(model.module->state_dict(), before));
    SP_FUZZ_ASSERT(same_state(model.optimizer->state_dict(), optimizer_before));
    SP_FUZZ_ASSERT(rng.seed == 7 && rng.offset == 9);
  } else {
    model = Model();
  }
  return 0;
}

// Checkpoint restore paths reviewed with tests/fuzz/checkpoint_fuzz.cpp (docs/FUZZING.md).
#include <gtest/gtest.h>

#include "helpers/test_helpers.h"
#include "nn/optim/adam.h"
#include "tensor/ops/creation.h"

namespace sp::nn::optim {
namespace {

// Found in review: an optimizer state key "state.<21 digits>.step" in a checkpoint made
// std::stoul throw std::out_of_range (not sp::Error) out of load_state_dict.
TEST(CheckpointFuzz, HugeOptimizerStateIndexIsAClearError) {
  std::vector<ag::Var> params{ag::Var(zeros({2}), true)};
  Adam adam(params, AdamOptions{});
  std::map<std::string, Tensor> state{
      {"param_groups.0.lr", scalar_tensor(0.1, DType::F64)},
      {"state.123456789012345678901.step", scalar_tensor(1, DType::I64)}};
  EXPECT_SP_ERROR(
      adam.load_state_dict(state),
      "expected a parameter index in 'state.123456789012345678901.step', got one too large");
  state.erase("state.123456789012345678901.step");
  state["state.12345678901234567890.step"] =
      scalar_tensor(1, DType::I64);  // fits: the range check names it
  EXPECT_SP_ERROR(adam.load_state_dict(state),
                  "names parameter 12345678901234567890, but there are 1");
}

}  // namespace
}  // namespace sp::nn::optim

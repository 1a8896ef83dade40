#include "nn/training_state.h"

#include <gtest/gtest.h>

#include "helpers/test_helpers.h"
#include "nn/optim/adam.h"
#include "tensor/ops/copy.h"
#include "tensor/ops/creation.h"

namespace sp::nn {
namespace {

class Toy : public Module {
 public:
  Toy() : Module("Toy") {
    register_parameter("weight", from_vector<float>({1, 2, 3}));
    register_buffer("count", scalar_tensor(0, DType::I64));
  }
};

void fake_step(Toy& m, optim::Optimizer& opt) {
  m.param("weight").impl()->grad = from_vector<float>({0.5f, -1, 2});
  opt.step();
  m.buffer("count").fill_(double(m.buffer("count").item<int64_t>() + 1));
}

TEST(TrainingState, SaveRestoreResumesExactly) {
  Toy a;
  optim::Adam opt_a(a.parameters(), optim::AdamOptions{});
  for (int s = 0; s < 3; ++s) fake_step(a, opt_a);
  Generator rng(11, 5);
  std::string path = test::temp_dir("ts") + "/ckpt.h5";
  save_checkpoint(path, capture(a, &opt_a, 3, rng, "lr = 1e-3"));
  fake_step(a, opt_a);

  Toy b;
  optim::Adam opt_b(b.parameters(), optim::AdamOptions{});
  Generator rng_b;
  EXPECT_EQ(restore(load_checkpoint(path), b, &opt_b, &rng_b, path), 3);
  EXPECT_EQ(rng_b.seed, 11u);
  EXPECT_EQ(rng_b.offset, 5u);
  EXPECT_EQ(b.buffer("count").item<int64_t>(), 3);
  fake_step(b, opt_b);
  EXPECT_TRUE(test::equal(b.param("weight").data(), a.param("weight").data()));
}

TEST(TrainingState, FailedRestoreChangesNothing) {
  Toy a;
  optim::Adam opt(a.parameters(), optim::AdamOptions{});
  fake_step(a, opt);
  Checkpoint c = capture(a, &opt, 1, Generator(), "");
  c.parameters["weight"] = from_vector<float>({9, 9, 9});
  c.optimizer["state.0.exp_avg"] = zeros({4});
  Toy b;
  optim::Adam opt_b(b.parameters(), optim::AdamOptions{});
  EXPECT_SP_ERROR(restore(c, b, &opt_b, nullptr, "x.h5"),
                  "expected 'state.0.exp_avg' of shape [3], got [4]");
  EXPECT_EQ(b.param("weight").data().to_vector<float>(), (std::vector<float>{1, 2, 3}));
  c.optimizer.clear();
  EXPECT_SP_ERROR(restore(c, b, &opt_b, nullptr, "x.h5"), "x.h5: expected optimizer state");
}

}  // namespace
}  // namespace sp::nn

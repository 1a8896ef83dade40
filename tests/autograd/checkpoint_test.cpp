// checkpoint: same gradients as plain backward, fewer saved bytes alive at peak.
#include "autograd/checkpoint.h"

#include "autograd/node.h"
#include "autograd/operators.h"
#include "gradcheck_helpers.h"

namespace sp::ag {
namespace {

using Vars = std::vector<Var>;

// A segment with several saved intermediates: each op saves its input or output.
Var segment(const Vars& v) {
  Var y = v[0];
  for (int i = 0; i < 4; ++i) y = tanh(y * v[1] + 0.1);
  return y;
}

struct Run {
  Tensor grad_x, grad_w;
  size_t peak_saved = 0;
};

Run run(bool use_checkpoint, Device device) {
  Var x(test::uniform({64, 64}, -1, 1, 1, device), true);
  Var w(test::uniform({64, 64}, 0.5, 1.5, 2, device), true);
  size_t base = saved_tensor_bytes();
  reset_peak_saved_tensor_bytes();
  Var y = x;
  for (int s = 0; s < 4; ++s) y = use_checkpoint ? checkpoint(segment, {y, w}) : segment({y, w});
  Var loss = y * y;
  backward(loss, ones_like(loss.data()));
  EXPECT_EQ(saved_tensor_bytes(), base);  // everything released after backward
  return {x.grad(), w.grad(), peak_saved_tensor_bytes() - base};
}

AG_TEST(AgCheckpoint, SameGradsFewerSavedBytes) {
  Run plain = run(false, device);
  Run ckpt = run(true, device);
  EXPECT_TRUE(sp::test::all_close(ckpt.grad_x, plain.grad_x, 1e-12, 1e-12));
  EXPECT_TRUE(sp::test::all_close(ckpt.grad_w, plain.grad_w, 1e-12, 1e-12));
  // Plain keeps 4 segments x 4 steps x (mul saves 2, add 0, tanh 1) tensors alive;
  // checkpointing keeps 4 x 2 inputs plus one recomputed segment.
  EXPECT_LT(ckpt.peak_saved * 2, plain.peak_saved) << ckpt.peak_saved << " vs " << plain.peak_saved;
}

AG_TEST(AgCheckpoint, Gradcheck) {
  Tensor x = test::uniform({3, 4}, -1, 1, 3, device);
  Tensor w = test::uniform({4}, 0.5, 1.5, 4, device);
  EXPECT_GRADCHECK([](const Vars& v) { return checkpoint(segment, {v[0], v[1]}) * v[1]; }, {x, w});
}

TEST(AgCheckpoint, ForwardBuildsNoInnerGraph) {
  Var x(test::uniform({8}, -1, 1, 5), true);
  Var w(test::uniform({8}, 0.5, 1.5, 6), true);
  size_t base = saved_tensor_bytes();
  Var y = checkpoint(segment, {x, w});
  EXPECT_EQ(y.grad_fn()->name(), "checkpoint");
  EXPECT_EQ(saved_tensor_bytes() - base, x.data().nbytes() + w.data().nbytes());
}

}  // namespace
}  // namespace sp::ag

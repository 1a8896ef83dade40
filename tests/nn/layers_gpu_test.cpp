// The golden layer and loss checks of layers_golden_test.cpp / loss_test.cpp on a GPU:
// modules and inputs on cuda:0, results compared with PyTorch's (CPU) values.
#include <gtest/gtest.h>

#include "autograd/functions/reduce.h"
#include "autograd/operators.h"
#include "helpers/test_helpers.h"
#include "nn/layers.h"
#include "nn/loss.h"

namespace sp::nn {
namespace {

using test::all_close;

const std::map<std::string, Tensor>& fx() {
  static const auto f = test::load_fixture("nn_layers.h5");
  return f;
}
Tensor get(const std::string& key) {
  return fx().at(key);
}
Tensor gpu(const std::string& key) {
  return fx().at(key).cuda();
}
void backprop(const ag::Var& y, const std::string& g_key) {
  ag::backward(ag::sum(y * ag::Var(gpu(g_key))));
}

TEST(LayersGpu, LinearLayerNormBatchNormMatchPyTorch) {
  SP_SKIP_WITHOUT_GPU();
  Linear lin(5, 3);
  lin.load_state_dict({{"weight", get("linear/weight")}, {"bias", get("linear/bias")}});
  lin.to(cuda_device());
  ag::Var x(gpu("linear/x"), true);
  ag::Var y = lin(x);
  EXPECT_TRUE(all_close(y.data().cpu(), get("linear/y"), 1e-5, 1e-5));
  backprop(y, "linear/g");
  EXPECT_TRUE(all_close(lin.param("weight").grad().cpu(), get("linear/gw"), 1e-5, 1e-5));

  LayerNorm ln({4, 5});
  ln.load_state_dict({{"weight", get("layer_norm/weight")}, {"bias", get("layer_norm/bias")}});
  ln.to(cuda_device());
  ag::Var xl(gpu("layer_norm/x"), true);
  ag::Var yl = ln(xl);
  EXPECT_TRUE(all_close(yl.data().cpu(), get("layer_norm/y"), 1e-5, 1e-5));
  backprop(yl, "layer_norm/g");
  EXPECT_TRUE(all_close(xl.grad().cpu(), get("layer_norm/gx"), 1e-4, 1e-5));

  BatchNorm2d bn(3);
  bn.load_state_dict({{"weight", get("batch_norm/weight")}, {"bias", get("batch_norm/bias")}},
                     false);
  bn.to(cuda_device());
  bn(ag::Var(gpu("batch_norm/x1")));
  ag::Var x2(gpu("batch_norm/x2"), true);
  ag::Var y2 = bn(x2);
  EXPECT_TRUE(all_close(y2.data().cpu(), get("batch_norm/y2"), 1e-5, 1e-5));
  backprop(y2, "batch_norm/g2");
  EXPECT_TRUE(all_close(x2.grad().cpu(), get("batch_norm/gx2"), 1e-4, 1e-5));
  EXPECT_TRUE(all_close(bn.buffer("running_var").cpu(), get("batch_norm/running_var"), 1e-5, 1e-6));
  EXPECT_EQ(bn.buffer("num_batches_tracked").cpu().item<int64_t>(), 2);
  bn.eval();
  EXPECT_TRUE(
      all_close(bn(ag::Var(gpu("batch_norm/x3"))).data().cpu(), get("batch_norm/y3"), 1e-5, 1e-5));
}

TEST(LayersGpu, LossesMatchPyTorch) {
  SP_SKIP_WITHOUT_GPU();
  F::CrossEntropyOptions o;
  o.weight = get("ce/weight");  // moved to the logits' device by the loss
  o.ignore_index = -1;
  ag::Var logits(gpu("ce/logits"), true);
  ag::Var ce = F::cross_entropy(logits, gpu("ce/target"), o);
  EXPECT_TRUE(all_close(ce.data().cpu(), get("ce/y_mean"), 1e-5, 1e-6));
  ag::backward(ce * ag::Var(gpu("ce/g_mean")));
  EXPECT_TRUE(all_close(logits.grad().cpu(), get("ce/gx_mean"), 1e-5, 1e-6));

  F::BceWithLogitsOptions b;
  b.pos_weight = gpu("bce/pos_weight");
  b.weight = gpu("bce/w");
  ag::Var x(gpu("bce/x"), true);
  ag::Var bce = F::binary_cross_entropy_with_logits(x, gpu("bce/t"), b);
  EXPECT_TRUE(all_close(bce.data().cpu(), get("bce/y_pos_mean"), 1e-5, 1e-6));
  ag::backward(bce * ag::Var(gpu("bce/g_pos_mean")));
  EXPECT_TRUE(all_close(x.grad().cpu(), get("bce/gx_pos_mean"), 1e-5, 1e-6));
}

}  // namespace
}  // namespace sp::nn

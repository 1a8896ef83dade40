// Conv2d -> BatchNorm2d (-> ReLU) folded at inference (nn/conv_batch_norm.h): the folded
// pass equals the layers run one by one, folds only in eval mode without grad, and on
// CUDA equals the CPU.
#include "nn/conv_batch_norm.h"

#include <gtest/gtest.h>

#include "autograd/grad_mode.h"
#include "helpers/test_helpers.h"
#include "nn/activation.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/elementwise.h"
#include "tensor/ops/norm.h"
#include "tensor/ops/random.h"
#include "tensor/ops/reduce.h"

namespace sp::nn {
namespace {

// conv(bias) -> BN -> ReLU -> conv(no bias) -> BN(no affine) -> max-pool, with
// non-trivial running statistics and affine parameters.
std::shared_ptr<Sequential> stage(uint64_t seed) {
  Generator gen(seed);
  Conv2dOptions plain;
  plain.in_channels = 6, plain.out_channels = 6, plain.bias = false, plain.args.padding = {1, 1};
  BatchNormOptions no_affine;
  no_affine.affine = false;
  auto seq = std::make_shared<Sequential>();
  seq->push_back(std::make_shared<Conv2d>(3, 6, 3, 1, 1, gen));
  seq->push_back(std::make_shared<BatchNorm2d>(6));
  seq->push_back(std::make_shared<ReLU>());
  seq->push_back(std::make_shared<Conv2d>(plain, gen));
  seq->push_back(std::make_shared<BatchNorm2d>(6, no_affine));
  seq->push_back(std::make_shared<MaxPool2d>(Pool2dArgs{}));
  for (size_t i : {size_t(1), size_t(4)}) {
    auto& bn = static_cast<BatchNorm2d&>((*seq)[i]);
    bn.buffer("running_mean").copy_(randn({6}, gen));
    bn.buffer("running_var").copy_(add(rand({6}, gen), Scalar(0.5)));
    if (bn.options().affine) {
      Tensor weight = bn.param("weight").data(),
             bias = bn.param("bias").data();  // views of the parameters
      weight.copy_(randn({6}, gen));
      bias.copy_(randn({6}, gen));
    }
  }
  return seq;
}

TEST(ConvBatchNorm, FoldedInferenceEqualsTheLayersOneByOne) {
  auto seq = stage(3);
  seq->eval();
  Generator gen(4);
  ag::Var x(randn({2, 3, 10, 12}, gen));
  Tensor layered = seq->forward(x).data();  // grad mode on: nothing folds
  ag::NoGradGuard no_grad;
  EXPECT_TRUE(batch_norm_folds(static_cast<BatchNorm2d&>((*seq)[1])));
  Tensor folded = seq->forward(x).data();
  EXPECT_EQ(folded.shape(), (Shape{2, 6, 5, 6}));
  EXPECT_TRUE(test::all_close(folded, layered, 1e-5, 1e-5));
  EXPECT_GT(max(layered).item<double>(), 0.5);  // the stage is not trivially zero
}

TEST(ConvBatchNorm, TrainingModeNeverFolds) {
  auto seq = stage(5);
  ag::NoGradGuard no_grad;
  auto& bn = static_cast<BatchNorm2d&>((*seq)[1]);
  EXPECT_FALSE(batch_norm_folds(bn));
  Tensor before = bn.buffer("running_mean").clone();
  seq->forward(ag::Var(randn({2, 3, 6, 6})));
  // Batch statistics were used and folded into the running mean.
  EXPECT_FALSE(test::all_close(bn.buffer("running_mean"), before, 0, 1e-6));
}

TEST(ConvBatchNorm, InPlaceInferenceOpMatchesEvalThenRelu) {
  Generator gen(6);
  Tensor x = randn({3, 4, 5, 7}, gen, DType::F64), mean = randn({4}, gen, DType::F64);
  Tensor var = add(rand({4}, gen, DType::F64), Scalar(0.1)), w = randn({4}, gen, DType::F64);
  Tensor b = randn({4}, gen, DType::F64);
  Tensor expected = relu(batch_norm_eval(x, w, b, mean, var, 1e-3));
  Tensor y = x.clone();
  batch_norm_inference_(y, w, b, mean, var, 1e-3, /*relu=*/true);
  EXPECT_TRUE(test::all_close(y, expected, 1e-12, 1e-12));
  Tensor z = x.clone();
  batch_norm_inference_(z, Tensor(), Tensor(), mean, var, 1e-3, /*relu=*/false);
  EXPECT_TRUE(
      test::all_close(z, batch_norm_eval(x, Tensor(), Tensor(), mean, var, 1e-3), 1e-12, 1e-12));
  EXPECT_SP_ERROR(batch_norm_inference_(x.transpose(2, 3), w, b, mean, var, 1e-3, true),
                  "contiguous");
  EXPECT_SP_ERROR(batch_norm_inference_(x, w, b, mean.narrow(0, 0, 3), var, 1e-3, true),
                  "running_mean");
}

TEST(ConvBatchNormGpu, FoldedInferenceOnCudaEqualsCpu) {
  SP_SKIP_WITHOUT_GPU();
  auto seq = stage(7);
  seq->eval();
  Generator gen(8);
  Tensor x = randn({2, 3, 16, 20}, gen);
  Tensor layered = seq->forward(ag::Var(x)).data();
  seq->to(cuda_device(0));
  ag::NoGradGuard no_grad;
  Tensor folded = seq->forward(ag::Var(x.cuda())).data();
  EXPECT_TRUE(folded.is_cuda());
  EXPECT_TRUE(test::all_close(folded.cpu(), layered, 1e-4, 1e-4));
}

}  // namespace
}  // namespace sp::nn

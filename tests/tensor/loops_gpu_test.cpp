// Fast paths of the CUDA elementwise launcher and of fill/copy (tensor/cuda/loops.cuh,
// tensor/cuda/copy.cu): contiguous, rank-1 with a broadcast operand, 32-bit strided
// offsets, memset fills; and the fused ReLU gradient and channel sums
// (tensor/cuda/fused.h). Each result
// is compared with the CPU kernels on odd and non-contiguous shapes.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "helpers/test_helpers.h"
#include "tensor/cuda/fused.h"
#include "tensor/ops/conv.h"
#include "tensor/ops/copy.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/elementwise.h"

namespace sp {
namespace {

using test::all_close;
using test::equal;

Tensor values(const Shape& shape, DType dtype, uint64_t seed) {
  return test::lcg_uniform(shape, seed, -2.0, 2.0, 3).to(dtype);
}

TEST(LoopsGpu, FillMatchesCpuOnContiguousAndStridedViews) {
  SP_SKIP_WITHOUT_GPU();
  for (DType dt : {DType::F32, DType::F64, DType::I64, DType::Bool, DType::F16}) {
    for (double v : {0.0, -0.0, 1.0, 3.0}) {
      Tensor c = values({3, 5, 7}, dt, 1), g = c.cuda();
      c.fill_(v);
      g.fill_(v);
      EXPECT_TRUE(equal(g.cpu(), c)) << dt << " " << v;
      Tensor cs = values({4, 6, 5}, dt, 2), gs = cs.cuda();
      cs.slice(1, 1, 6, 2).transpose(0, 2).fill_(v);  // strided: needs offsets
      gs.slice(1, 1, 6, 2).transpose(0, 2).fill_(v);
      EXPECT_TRUE(equal(gs.cpu(), cs)) << dt << " " << v;
    }
  }
  // -0.0 keeps its sign (no memset of zero bytes).
  Tensor z = full({5}, 1.0, DType::F32, cuda_device());
  z.fill_(-0.0);
  for (double x : z.cpu().to_vector<double>()) EXPECT_TRUE(std::signbit(x));
  Tensor e = empty({0, 3}, DType::F32, cuda_device());
  e.fill_(0.0);
  EXPECT_EQ(e.numel(), 0);
}

TEST(LoopsGpu, CopyMatchesCpuForViewsAndConversions) {
  SP_SKIP_WITHOUT_GPU();
  Tensor x = values({3, 4, 5, 6}, DType::F32, 3);
  Tensor gx = x.cuda();
  for (auto view : std::vector<Tensor (*)(const Tensor&)>{
           [](const Tensor& t) { return t.transpose(1, 3); },
           [](const Tensor& t) { return t.slice(3, 1, 6, 2); },
           [](const Tensor& t) {
             return t.select(1, 2).unsqueeze(0).expand({2, 3, 5, 6});
           },
           [](const Tensor& t) { return t.narrow(0, 1, 1); }}) {
    EXPECT_TRUE(equal(view(gx).contiguous().cpu(), view(x).contiguous()));
    EXPECT_TRUE(equal(view(gx).to(DType::F64).cpu(), view(x).to(DType::F64)));
    EXPECT_TRUE(equal(view(gx).to(DType::I32).cpu(), view(x).to(DType::I32)));
  }
}

TEST(LoopsGpu, BroadcastAndStridedElementwiseMatchCpu) {
  SP_SKIP_WITHOUT_GPU();
  Tensor a = values({3, 5, 7, 2}, DType::F32, 4), b = values({5, 1, 2}, DType::F32, 5);
  // Rank 1 after coalescing: a contiguous tensor with a broadcast scalar.
  EXPECT_TRUE(all_close(add(a.cuda(), 2.5).cpu(), add(a, 2.5)));
  EXPECT_TRUE(equal(gt(a.cuda(), 0.25).cpu(), gt(a, 0.25)));
  EXPECT_TRUE(all_close(where(gt(a.cuda(), 0.0), a.cuda(), Scalar(0.0)).cpu(),
                        where(gt(a, 0.0), a, Scalar(0.0))));
  // Several strided dims (32-bit offsets): broadcast b and a transposed view.
  EXPECT_TRUE(all_close(mul(a.cuda(), b.cuda()).cpu(), mul(a, b)));
  EXPECT_TRUE(all_close(sub(a.cuda().transpose(0, 2), a.cuda().transpose(0, 2).contiguous()).cpu(),
                        zeros({7, 5, 3, 2})));
  Tensor at = a.transpose(1, 3);
  EXPECT_TRUE(all_close(exp(at.cuda()).cpu(), exp(at)));
}

TEST(FusedGpu, ReluBackwardMatchesCpuWhere) {
  SP_SKIP_WITHOUT_GPU();
  for (DType dt : {DType::F32, DType::F64})
    for (const Shape& s : std::vector<Shape>{{2, 3, 5, 7}, {1}, {0, 4}, {3, 65, 33}}) {
      Tensor out = relu(values(s, dt, 6)), g = values(s, dt, 7);
      Tensor expected = where(gt(out, 0.0), g, Scalar(0.0));
      EXPECT_TRUE(equal(cuda::relu_backward(g.cuda(), out.cuda()).cpu(), expected)) << s;
    }
  // Non-contiguous gradient, NaN in the saved output (gives 0 like gt + where).
  Tensor out = relu(values({4, 6}, DType::F32, 8));
  std::vector<double> v = out.to_vector<double>();
  v[3] = std::numeric_limits<double>::quiet_NaN();
  out = from_vector(v, {4, 6}).to(DType::F32);
  Tensor g = values({6, 4}, DType::F32, 9).transpose(0, 1);
  EXPECT_TRUE(
      equal(cuda::relu_backward(g.cuda(), out.cuda()).cpu(), where(gt(out, 0.0), g, Scalar(0.0))));
  EXPECT_SP_ERROR(cuda::relu_backward(g.cuda(), out.cuda().view({24})),
                  "expected out of the shape");
}

TEST(FusedGpu, ReluBackwardChannelSumMatchesCpu) {
  SP_SKIP_WITHOUT_GPU();
  for (DType dt : {DType::F32, DType::F64})
    for (const Shape& s : std::vector<Shape>{
             {3, 5, 7, 9}, {1, 1, 1, 1}, {70, 2, 3, 5}, {2, 300, 1, 1}, {0, 4, 2, 2}}) {
      Tensor out = relu(values(s, dt, 10)), g = values(s, dt, 11);
      Tensor expected = where(gt(out, 0.0), g, Scalar(0.0));
      Tensor gi = empty(s, dt, cuda_device()), sum = empty({s[1]}, dt, cuda_device());
      cuda::relu_backward_channel_sum(gi, sum, g.cuda(), out.cuda());
      EXPECT_TRUE(equal(gi.cpu(), expected)) << s;
      EXPECT_TRUE(all_close(sum.cpu(), conv2d_backward_bias(expected), 1e-4, 1e-4)) << s;
      // Without out: the plain per-channel sum (the conv bias gradient).
      cuda::relu_backward_channel_sum(Tensor(), sum, g.cuda(), Tensor());
      EXPECT_TRUE(all_close(sum.cpu(), conv2d_backward_bias(g), 1e-4, 1e-4)) << s;
    }
  Tensor g = values({2, 3, 4, 5}, DType::F32, 12).cuda();
  Tensor sum = empty({3}, DType::F32, cuda_device());
  EXPECT_SP_ERROR(cuda::relu_backward_channel_sum(Tensor(), sum, g.transpose(2, 3), Tensor()),
                  "contiguous");
  EXPECT_SP_ERROR(
      cuda::relu_backward_channel_sum(Tensor(), empty({4}, DType::F32, cuda_device()), g, Tensor()),
      "channel_sum");
}

}  // namespace
}  // namespace sp

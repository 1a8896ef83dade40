// CUDA flash attention against the CPU kernel: awkward sizes (tile remainders, N or M of
// 0 and 1), masks with fully masked rows, strided inputs, head dims 64 and up to 256,
// f32/f64, and f16/bf16 inputs (f32 accumulation) against the f32 CPU result.
#include <gtest/gtest.h>

#include "helpers/test_helpers.h"
#include "tensor/ops/attention.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/elementwise.h"

namespace sp {
namespace {

using test::all_close;

Tensor values(const Shape& shape, uint64_t seed) {
  return test::lcg_uniform(shape, seed, -1, 1, 53);
}

struct Size {
  int64_t b, h, n, m, d, dv;
};

void compare(const Size& s, DType dt, bool masked, double tol) {
  SCOPED_TRACE(testing::Message() << "B " << s.b << " H " << s.h << " N " << s.n << " M " << s.m
                                  << " d " << s.d << " dv " << s.dv << " " << dt
                                  << (masked ? " masked" : ""));
  // q as a permuted view of [B, N, H, d]
  Tensor q = values({s.b, s.n, s.h, s.d}, 1).permute({0, 2, 1, 3});
  Tensor k = values({s.b, s.h, s.m, s.d}, 2), v = values({s.b, s.h, s.m, s.dv}, 3);
  Tensor g = values({s.b, s.h, s.n, s.dv}, 4);
  Tensor mask;
  if (masked) {
    mask = ge(values({s.b, 1, s.n, s.m}, 5), -0.4);
    if (s.n > 1) mask.narrow(2, 1, 1).fill_(0.0);  // a row with no key
  }
  const DType ref_dt = dt == DType::F64 ? DType::F64 : DType::F32;
  auto on = [&](const Tensor& t, DType d, Device dev) { return t.to(d).to(dev); };
  AttentionResult c = scaled_dot_product_attention(on(q, ref_dt, kCPU), on(k, ref_dt, kCPU),
                                                   on(v, ref_dt, kCPU), mask, 0.3);
  AttentionGrads cg = scaled_dot_product_attention_backward(
      on(g, ref_dt, kCPU), on(q, ref_dt, kCPU), on(k, ref_dt, kCPU), on(v, ref_dt, kCPU), c.output,
      c.logsumexp, mask, 0.3);
  const Device gpu = cuda_device(0);
  Tensor mg = mask.defined() ? mask.cuda() : Tensor();
  AttentionResult r =
      scaled_dot_product_attention(on(q, dt, gpu), on(k, dt, gpu), on(v, dt, gpu), mg, 0.3);
  EXPECT_TRUE(all_close(r.output.cpu().to(ref_dt), c.output, tol, tol));
  EXPECT_TRUE(all_close(r.logsumexp.cpu(), c.logsumexp, tol, tol));
  AttentionGrads rg =
      scaled_dot_product_attention_backward(on(g, dt, gpu), on(q, dt, gpu), on(k, dt, gpu),
                                            on(v, dt, gpu), r.output, r.logsumexp, mg, 0.3);
  EXPECT_TRUE(all_close(rg.grad_q.cpu().to(ref_dt), cg.grad_q, tol * 4, tol * 4));
  EXPECT_TRUE(all_close(rg.grad_k.cpu().to(ref_dt), cg.grad_k, tol * 4, tol * 4));
  EXPECT_TRUE(all_close(rg.grad_v.cpu().to(ref_dt), cg.grad_v, tol * 4, tol * 4));
}

TEST(AttentionGpu, MatchesCpuOnAwkwardSizes) {
  SP_SKIP_WITHOUT_GPU();
  const std::vector<Size> sizes = {
      {1, 1, 1, 1, 8, 8},   {2, 3, 17, 33, 64, 64},   {1, 4, 130, 97, 64, 64}, {1, 2, 5, 0, 16, 16},
      {2, 1, 0, 7, 16, 16}, {1, 2, 40, 70, 100, 130}, {1, 1, 20, 45, 256, 200}};
  for (const Size& s : sizes)
    for (bool masked : {false, true}) {
      compare(s, DType::F32, masked, 2e-5);
      compare(s, DType::F64, masked, 1e-11);
    }
}

TEST(AttentionGpu, HalfInputsAccumulateInFloat) {
  SP_SKIP_WITHOUT_GPU();
  for (DType dt : {DType::F16, DType::BF16})
    for (bool masked : {false, true})
      compare({2, 4, 300, 257, 64, 64}, dt, masked, dt == DType::F16 ? 1e-2 : 4e-2);
}

}  // namespace
}  // namespace sp

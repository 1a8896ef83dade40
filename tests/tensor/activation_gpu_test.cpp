// CUDA activation kernels (tensor/cuda/activation.cu and the new unary forward ops of
// elementwise.cu) against the CPU kernels, f32/f64/f16 on awkward shapes.
#include <gtest/gtest.h>

#include "helpers/test_helpers.h"
#include "tensor/ops/activation.h"
#include "tensor/ops/creation.h"

namespace sp {
namespace {

using test::all_close;

Tensor values(const Shape& shape, DType dtype, uint64_t seed, double lo = -6, double hi = 6) {
  return test::lcg_uniform(shape, seed, lo, hi, 41).to(dtype);
}

TEST(ActivationGpu, UnaryForwardAndBackwardMatchCpu) {
  SP_SKIP_WITHOUT_GPU();
  const UnaryOp ops[] = {UnaryOp::Sin,      UnaryOp::Cos,        UnaryOp::Log1p, UnaryOp::Expm1,
                         UnaryOp::Softplus, UnaryOp::LogSigmoid, UnaryOp::Gelu,  UnaryOp::GeluTanh};
  for (DType dt : {DType::F32, DType::F64, DType::F16}) {
    const double tol = dt == DType::F64 ? 1e-12 : dt == DType::F32 ? 2e-6 : 2e-3;
    for (const Shape& shape : std::vector<Shape>{{0}, {1}, {7}, {3, 1025}, {2, 3, 33, 65}}) {
      for (UnaryOp op : ops) {
        Tensor x = values(shape, dt, 1, op == UnaryOp::Log1p ? -0.9 : -6.0);
        Tensor g = values(shape, dt, 2);
        UnaryParams p;
        if (op == UnaryOp::Softplus) p.a = 1.5, p.b = 4.0, p.has_a = p.has_b = true;
        auto forward = [&](const Tensor& t) {
          switch (op) {
            case UnaryOp::Sin:
              return sin(t);
            case UnaryOp::Cos:
              return cos(t);
            case UnaryOp::Log1p:
              return log1p(t);
            case UnaryOp::Expm1:
              return expm1(t);
            case UnaryOp::Softplus:
              return softplus(t, 1.5, 4.0);
            case UnaryOp::LogSigmoid:
              return log_sigmoid(t);
            case UnaryOp::Gelu:
              return gelu(t);
            default:
              return gelu_tanh(t);
          }
        };
        // A non-contiguous input for the forward (permuted when rank >= 2).
        Tensor xv = x.dim() >= 2 ? x.transpose(0, 1) : x;
        EXPECT_TRUE(all_close(forward(xv.cuda()).cpu().to(DType::F64), forward(xv).to(DType::F64),
                              tol, tol))
            << op_name(op) << " " << dt << " " << shape;
        EXPECT_TRUE(all_close(unary_backward(op, g.cuda(), x.cuda(), p).cpu().to(DType::F64),
                              unary_backward(op, g, x, p).to(DType::F64), tol, tol))
            << op_name(op) << " backward " << dt << " " << shape;
      }
    }
  }
}

TEST(ActivationGpu, PreluForwardAndBackwardMatchCpu) {
  SP_SKIP_WITHOUT_GPU();
  for (DType dt : {DType::F32, DType::F64}) {
    const double tol = dt == DType::F64 ? 1e-12 : 1e-5;
    for (const Shape& shape : std::vector<Shape>{{0, 3}, {1, 1}, {7}, {2, 5, 33, 17}, {3, 64, 9}}) {
      for (bool shared : {false, true}) {
        const int64_t C = shared || shape.rank() < 2 ? 1 : shape[1];
        Tensor x = values(shape, dt, 3), w = values({C}, dt, 4, 0, 0.5), g = values(shape, dt, 5);
        EXPECT_TRUE(all_close(prelu(x.cuda(), w.cuda()).cpu(), prelu(x, w), tol, tol))
            << dt << shape;
        PreluGrads gpu = prelu_backward(g.cuda(), x.cuda(), w.cuda()),
                   cpu = prelu_backward(g, x, w);
        EXPECT_TRUE(all_close(gpu.grad_input.cpu(), cpu.grad_input, tol, tol)) << dt << shape;
        EXPECT_TRUE(all_close(gpu.grad_weight.cpu(), cpu.grad_weight, tol * 10, tol * 10))
            << dt << shape;
      }
    }
  }
}

}  // namespace
}  // namespace sp

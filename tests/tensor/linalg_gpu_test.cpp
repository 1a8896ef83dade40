// cuBLAS matmul and cuDNN conv2d (forward and the three backward kernels) against the
// CPU kernels, plus the fused Adam update against nn's CPU rule written out here.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "helpers/test_helpers.h"
#include "tensor/cuda/adam.h"
#include "tensor/cuda/context.h"
#include "tensor/ops/conv.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/elementwise.h"
#include "tensor/ops/matmul.h"
#include "tensor/ops/reduce.h"

namespace sp {
namespace {

using test::all_close;

Tensor values(const Shape& shape, DType dtype, uint64_t seed) {
  return test::lcg_uniform(shape, seed, -1.0, 1.0, 7).to(dtype);
}

double tol(DType dt) {
  return dt == DType::F32 ? 1e-4 : 1e-10;
}

TEST(MatmulGpu, MatchesCpuOnAwkwardShapesAndLayouts) {
  SP_SKIP_WITHOUT_GPU();
  for (DType dt : {DType::F32, DType::F64}) {
    const std::vector<std::pair<Shape, Shape>> shapes = {{{3, 4}, {4, 5}},
                                                         {{1, 1}, {1, 1}},
                                                         {{0, 3}, {3, 2}},
                                                         {{2, 0}, {0, 3}},
                                                         {{7}, {7}},
                                                         {{7}, {7, 3}},
                                                         {{5, 7}, {7}},
                                                         {{4, 3, 5}, {5, 2}},
                                                         {{2, 1, 3, 4}, {5, 4, 6}},
                                                         {{129, 65}, {65, 257}},
                                                         {{3, 0, 4}, {3, 4, 2}}};
    for (const auto& [sa, sb] : shapes) {
      Tensor a = values(sa, dt, 1), b = values(sb, dt, 2);
      EXPECT_TRUE(all_close(matmul(a.cuda(), b.cuda()), matmul(a, b), tol(dt), tol(dt)))
          << dt << sa << sb;
    }
    // Transposed, sliced and broadcast operands.
    Tensor a = values({6, 9}, dt, 3), b = values({5, 9}, dt, 4);
    EXPECT_TRUE(all_close(mm(a.cuda(), b.cuda().t()), mm(a, b.t()), tol(dt), tol(dt)));
    EXPECT_TRUE(all_close(mm(a.cuda().t(), a.cuda()), mm(a.t(), a), tol(dt), tol(dt)));
    EXPECT_TRUE(all_close(mm(a.cuda().slice(1, 0, 9, 2), b.cuda().t().slice(0, 0, 9, 2)),
                          mm(a.slice(1, 0, 9, 2), b.t().slice(0, 0, 9, 2)), tol(dt), tol(dt)));
    Tensor x = values({4, 6, 9}, dt, 5);
    EXPECT_TRUE(all_close(bmm(x.cuda(), x.cuda().transpose(1, 2)), bmm(x, x.transpose(1, 2)),
                          tol(dt), tol(dt)));
    EXPECT_TRUE(all_close(matmul(x.cuda().permute({1, 0, 2}), a.cuda().t()),
                          matmul(x.permute({1, 0, 2}), a.t()), tol(dt), tol(dt)));
    Tensor e = values({9, 1}, dt, 6).expand({9, 4});
    EXPECT_TRUE(all_close(mm(a.cuda(), e.cuda().expand({9, 4})), mm(a, e), tol(dt), tol(dt)));
  }
}

TEST(MatmulGpu, Tf32OnlyWhenEnabled) {
  SP_SKIP_WITHOUT_GPU();
  Tensor a = values({64, 512}, DType::F32, 7), b = values({512, 64}, DType::F32, 8);
  Tensor ref = matmul(a.to(DType::F64), b.to(DType::F64));
  EXPECT_FALSE(cuda::allow_tf32());
  EXPECT_TRUE(all_close(matmul(a.cuda(), b.cuda()), ref, 1e-5, 1e-4));
  cuda::set_allow_tf32(true);
  Tensor fast = matmul(a.cuda(), b.cuda());
  cuda::set_allow_tf32(false);
  EXPECT_TRUE(all_close(fast, ref, 1e-2, 5e-2));  // TF32 keeps 10 mantissa bits
}

struct ConvCase {
  Shape input, weight;
  Conv2dArgs args;
};

TEST(ConvGpu, ForwardAndBackwardMatchCpu) {
  SP_SKIP_WITHOUT_GPU();
  Conv2dArgs strided;
  strided.stride = {2, 1};
  strided.padding = {1, 2};
  Conv2dArgs dilated;
  dilated.dilation = {2, 2};
  dilated.padding = {2, 2};
  Conv2dArgs grouped;
  grouped.groups = 2;
  grouped.padding = {1, 1};
  const std::vector<ConvCase> cases = {
      {{1, 1, 1, 1}, {1, 1, 1, 1}, {}},
      {{2, 3, 7, 9}, {4, 3, 3, 3}, {}},
      {{2, 3, 7, 9}, {5, 3, 3, 2}, strided},
      {{1, 2, 9, 8}, {3, 2, 3, 3}, dilated},
      {{3, 4, 6, 5}, {6, 2, 3, 3}, grouped},
      {{0, 3, 5, 5}, {2, 3, 3, 3}, {}},
      {{2, 64, 30, 40}, {64, 64, 3, 3}, Conv2dArgs{{1, 1}, {1, 1}, {1, 1}, 1}}};
  // Each CUDA result is compared with the CPU kernels run in f64: f32 results of both
  // devices carry their own rounding (Winograd on the CPU, whichever algorithm cuDNN's
  // heuristics pick on the GPU), so they are not compared with each other. f32 sums of up
  // to 576 products are checked against the largest entry of the exact result.
  const auto matches_f64 = [](const Tensor& got, const Tensor& exact, DType dt,
                              double weight_factor = 1) {
    const double scale = exact.numel() ? std::max(1.0, max(abs(exact)).item<double>()) : 1.0;
    const double atol = dt == DType::F32 ? 3e-5 * scale * weight_factor : 1e-10;
    return all_close(got.cpu().to(DType::F64), exact, tol(dt), atol);
  };
  for (DType dt : {DType::F32, DType::F64}) {
    for (const ConvCase& c : cases) {
      SCOPED_TRACE(testing::Message() << dt << c.input << c.weight);
      Tensor x = values(c.input, dt, 1), w = values(c.weight, dt, 2),
             b = values({c.weight[0]}, dt, 3);
      Tensor x64 = x.to(DType::F64), w64 = w.to(DType::F64), b64 = b.to(DType::F64);
      Tensor y = conv2d(x64, w64, b64, c.args);
      EXPECT_TRUE(matches_f64(conv2d(x.cuda(), w.cuda(), b.cuda(), c.args), y, dt));
      Tensor g = values(y.shape(), dt, 4), g64 = g.to(DType::F64);
      EXPECT_TRUE(matches_f64(conv2d_backward_input(g.cuda(), c.input, w.cuda(), c.args),
                              conv2d_backward_input(g64, c.input, w64, c.args), dt));
      // Weight gradients sum over the batch and every output position.
      EXPECT_TRUE(matches_f64(conv2d_backward_weight(g.cuda(), x.cuda(), c.weight, c.args),
                              conv2d_backward_weight(g64, x64, c.weight, c.args), dt, 3));
      EXPECT_TRUE(matches_f64(conv2d_backward_bias(g.cuda()), conv2d_backward_bias(g64), dt));
    }
  }
  // Non-contiguous input (a channel slice) and no bias.
  Tensor x = values({2, 6, 8, 8}, DType::F32, 9).slice(1, 0, 6, 2);
  Tensor w = values({2, 3, 3, 3}, DType::F32, 10);
  EXPECT_TRUE(all_close(conv2d(x.cuda(), w.cuda()), conv2d(x, w), 1e-4, 1e-4));
}

// nn/optim/adam.cpp's rule, element by element in double.
void adam_reference(std::vector<double>& p, const std::vector<double>& g, std::vector<double>& m,
                    std::vector<double>& v, std::vector<double>& vmax, int64_t step,
                    const cuda::AdamConfig& o) {
  const double bias1 = 1 - std::pow(o.beta1, double(step)),
               b2s = std::sqrt(1 - std::pow(o.beta2, double(step)));
  for (size_t k = 0; k < p.size(); ++k) {
    double gk = g[k];
    if (o.weight_decay != 0) {
      if (o.decoupled_weight_decay)
        p[k] *= 1 - o.lr * o.weight_decay;
      else
        gk += o.weight_decay * p[k];
    }
    m[k] = m[k] * o.beta1 + (1 - o.beta1) * gk;
    v[k] = v[k] * o.beta2 + (1 - o.beta2) * gk * gk;
    double second = v[k];
    if (o.amsgrad) second = vmax[k] = std::max(vmax[k], v[k]);
    p[k] -= o.lr / bias1 * m[k] / (std::sqrt(second) / b2s + o.eps);
  }
}

TEST(AdamGpu, FusedUpdateMatchesReferenceOverManyTensors) {
  SP_SKIP_WITHOUT_GPU();
  for (DType dt : {DType::F32, DType::F64}) {
    for (bool amsgrad : {false, true}) {
      cuda::AdamConfig o;
      o.lr = 0.01;
      o.weight_decay = 0.1;
      o.amsgrad = amsgrad;
      o.decoupled_weight_decay = amsgrad;  // cover Adam and AdamW
      // 30 tensors (two launches of at most 24), including empty and one-element ones.
      std::vector<Tensor> p, g, m, v, vmax;
      std::vector<std::vector<double>> hp, hg, hm, hv, hvmax;
      for (int i = 0; i < 30; ++i) {
        Shape s = i == 3 ? Shape{0} : i == 4 ? Shape{1} : Shape{int64_t(1 + 37 * i), 3};
        Tensor tp = values(s, dt, 100 + i), tg = values(s, dt, 200 + i);
        hp.push_back(tp.to_vector<double>());
        hg.push_back(tg.to_vector<double>());
        hm.push_back(std::vector<double>(size_t(numel(s)), 0.0));
        hv.push_back(hm.back());
        hvmax.push_back(hm.back());
        p.push_back(tp.cuda());
        g.push_back(tg.cuda());
        m.push_back(zeros(s, dt, cuda_device()));
        v.push_back(zeros(s, dt, cuda_device()));
        vmax.push_back(zeros(s, dt, cuda_device()));
      }
      for (int64_t step = 1; step <= 3; ++step) {
        cuda::adam_update(p, g, m, v, vmax, step, o);
        for (size_t i = 0; i < p.size(); ++i)
          adam_reference(hp[i], hg[i], hm[i], hv[i], hvmax[i], step, o);
      }
      const double t = dt == DType::F32 ? 1e-5 : 1e-12;
      for (size_t i = 0; i < p.size(); ++i) {
        EXPECT_TRUE(all_close(p[i], from_vector(hp[i], p[i].shape()), t, t)) << i;
        EXPECT_TRUE(all_close(v[i], from_vector(hv[i], p[i].shape()), t, t)) << i;
      }
    }
  }
  std::vector<Tensor> one{zeros({2}, DType::F32, cuda_device())};
  std::vector<Tensor> bad{zeros({3}, DType::F32, cuda_device())};
  EXPECT_SP_ERROR(cuda::adam_update(one, bad, one, one, {}, 1, {}), "expected a grad matching");
}

}  // namespace
}  // namespace sp

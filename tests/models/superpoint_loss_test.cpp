#include "models/superpoint_loss.h"

#include <gtest/gtest.h>

#include "autograd/functions/elementwise.h"
#include "autograd/functions/matmul.h"
#include "autograd/functions/reduce.h"
#include "autograd/functions/views.h"
#include "autograd/gradcheck.h"
#include "autograd/node.h"
#include "autograd/operators.h"
#include "helpers/test_helpers.h"
#include "models/keypoints.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/elementwise.h"
#include "tensor/ops/random.h"
#include "tensor/ops/reduce.h"

namespace sp::models {
namespace {

ag::Var leaf(const Tensor& t) {
  return ag::Var(t.clone(), true);
}

TEST(SuperPointLoss, MatchesPyTorchReferenceWithGradients) {
  auto fx = test::load_fixture("models_superpoint_loss.h5");
  // Targets on the device path equal the CPU reference of keypoints.h and PyTorch's.
  Tensor targets = detector_targets(fx.at("labels"));
  EXPECT_TRUE(test::all_close(targets, fx.at("targets"), 1e-6, 1e-7));
  for (int64_t b = 0; b < 2; ++b)
    EXPECT_TRUE(test::all_close(targets.select(0, b),
                                cell_targets(fx.at("labels").select(0, b).select(0, 0))));

  ag::Var logits = leaf(fx.at("logits")), wlogits = leaf(fx.at("warped_logits"));
  ag::Var desc = leaf(fx.at("descriptors")), wdesc = leaf(fx.at("warped_descriptors"));
  ag::Var det = detector_loss(logits, fx.at("labels"), fx.at("valid_mask"));
  ag::Var det_w = detector_loss(wlogits, fx.at("warped_labels"), fx.at("warped_valid_mask"));
  ag::Var dl = descriptor_loss(desc, wdesc, fx.at("homography"), fx.at("warped_valid_mask"));
  ag::Var total = det + det_w + 0.5 * dl;
  EXPECT_TRUE(test::all_close(det.data(), fx.at("detector"), 1e-5, 1e-6));
  EXPECT_TRUE(test::all_close(det_w.data(), fx.at("detector_warped"), 1e-5, 1e-6));
  EXPECT_TRUE(test::all_close(dl.data(), fx.at("descriptor"), 1e-5, 1e-6));
  EXPECT_TRUE(test::all_close(total.data(), fx.at("total"), 1e-5, 1e-6));
  ag::backward(total);
  EXPECT_TRUE(test::all_close(logits.grad(), fx.at("grad_logits"), 1e-4, 1e-7));
  EXPECT_TRUE(test::all_close(wlogits.grad(), fx.at("grad_warped_logits"), 1e-4, 1e-7));
  EXPECT_TRUE(test::all_close(desc.grad(), fx.at("grad_descriptors"), 1e-4, 1e-6));
  EXPECT_TRUE(test::all_close(wdesc.grad(), fx.at("grad_warped_descriptors"), 1e-4, 1e-6));

  ag::Var bce_logits = leaf(fx.at("logits"));
  ag::Var bce =
      detector_loss(bce_logits, fx.at("labels"), fx.at("valid_mask"), DetectorLossKind::SoftmaxBce);
  EXPECT_TRUE(test::all_close(bce.data(), fx.at("detector_bce"), 1e-5, 1e-6));
  ag::backward(bce);
  EXPECT_TRUE(test::all_close(bce_logits.grad(), fx.at("grad_logits_bce"), 1e-4, 1e-7));
}

// The dense loss written out with every (cell, cell) pair materialised: [N, N] per image.
ag::Var unchunked_descriptor_loss(const ag::Var& d, const ag::Var& wd, const Tensor& h,
                                  const Tensor& wmask, const DescriptorLossOptions& o) {
  const int64_t B = d.size(0), D = d.size(1), Hc = d.size(2), Wc = d.size(3), N = Hc * Wc;
  Tensor mask = cell_valid_mask(wmask).to(d.dtype());
  Tensor hh = h.to(d.dtype()).contiguous();
  ag::Var total;
  for (int64_t b = 0; b < B; ++b) {
    Tensor s = zeros({N, N}, d.dtype());
    for (int64_t i = 0; i < N; ++i) {
      const double x = 8.0 * double(i % Wc) + 3.5, y = 8.0 * double(i / Wc) + 3.5;
      auto H = [&](int r, int c) {
        return hh.select(0, b).select(0, r).select(0, c).item<double>();
      };
      const double z = H(2, 0) * x + H(2, 1) * y + H(2, 2);
      const double wx = (H(0, 0) * x + H(0, 1) * y + H(0, 2)) / z,
                   wy = (H(1, 0) * x + H(1, 1) * y + H(1, 2)) / z;
      for (int64_t j = 0; j < N; ++j) {
        const double dx = wx - (8.0 * double(j % Wc) + 3.5), dy = wy - (8.0 * double(j / Wc) + 3.5);
        if (dx * dx + dy * dy <= o.distance * o.distance) s.select(0, i).select(0, j).fill_(1.0);
      }
    }
    ag::Var a = ag::reshape(ag::select(d, 0, b), {D, N}),
            c = ag::reshape(ag::select(wd, 0, b), {D, N});
    ag::Var dot = ag::matmul(ag::transpose(a, 0, 1), c);
    ag::Var sv(s), m(mask.select(0, b).reshape({1, N}));
    ag::Var l = o.lambda_d * sv * ag::relu(o.positive_margin - dot) +
                (1.0 - sv) * ag::relu(dot - o.negative_margin);
    ag::Var term = ag::sum(l * m);
    total = total.defined() ? total + term : term;
  }
  const double norm = double(N) * std::max(sum(mask).item<double>(), 1.0);
  return total / norm;
}

Tensor normalized(const Shape& shape, Generator& gen, DType dtype = DType::F32) {
  Tensor x = randn(shape, gen, dtype);
  return div(x, norm(x, 2.0, {1}, true));
}

Tensor test_homographies(DType dtype = DType::F32) {
  return from_vector<double>({0.98, -0.12, 9.0, 0.1, 0.99, -4.0, 1e-4, -2e-4, 1.0,  //
                              1.02, 0.03, -6.5, -0.02, 0.97, 3.0, 0.0, 0.0, 1.0},
                             {2, 3, 3})
      .to(dtype);
}

TEST(SuperPointLoss, ChunkedDescriptorLossEqualsUnchunkedForEveryChunkSize) {
  Generator gen(7);
  const int64_t Hc = 5, Wc = 6;
  Tensor d0 = normalized({2, 8, Hc, Wc}, gen), w0 = normalized({2, 8, Hc, Wc}, gen);
  w0 = div(add(w0, mul(d0, Scalar(1.2))), norm(add(w0, mul(d0, Scalar(1.2))), 2.0, {1}, true));
  Tensor mask = ones({2, 1, 8 * Hc, 8 * Wc});
  mask.select(0, 1).narrow(2, 0, 11).fill_(0.0);
  Tensor h = test_homographies();
  DescriptorLossOptions o;
  ag::Var rd = leaf(d0), rw = leaf(w0);
  ag::Var ref = unchunked_descriptor_loss(rd, rw, h, mask, o);
  ag::backward(ref);
  for (int64_t rows : {1, 2, 3, 5, 7, 0}) {
    o.chunk_rows = rows;
    ag::Var d = leaf(d0), w = leaf(w0);
    ag::Var loss = descriptor_loss(d, w, h, mask, o);
    EXPECT_TRUE(test::all_close(loss.data(), ref.data(), 1e-5, 1e-6)) << "chunk_rows " << rows;
    ag::backward(loss);
    EXPECT_TRUE(test::all_close(d.grad(), rd.grad(), 1e-4, 1e-6)) << "chunk_rows " << rows;
    EXPECT_TRUE(test::all_close(w.grad(), rw.grad(), 1e-4, 1e-6)) << "chunk_rows " << rows;
  }
  EXPECT_GT(ref.item<float>(), 0.0f);
}

TEST(SuperPointLoss, DescriptorLossGradcheckInF64) {
  Generator gen(11);
  Tensor d0 = normalized({2, 4, 3, 4}, gen, DType::F64),
         w0 = normalized({2, 4, 3, 4}, gen, DType::F64);
  Tensor mask = ones({2, 1, 24, 32}, DType::F64);
  mask.select(0, 0).narrow(1, 16, 8).fill_(0.0);
  DescriptorLossOptions o;
  o.lambda_d = 3.0;  // keeps the central differences well scaled
  o.chunk_rows = 2;
  auto r = ag::gradcheck(
      [&](const std::vector<ag::Var>& in) {
        return descriptor_loss(in[0], in[1], test_homographies(DType::F64), mask, o);
      },
      {d0, w0});
  EXPECT_TRUE(r.ok) << r.message;
}

TEST(SuperPointLoss, DescriptorLossMemoryDoesNotGrowWithCellPairs) {
  // 30 x 40 cells: (Hc Wc)^2 f32 = 5.8 MB per pair matrix; the loss keeps O(B D N).
  Generator gen(5);
  const int64_t Hc = 30, Wc = 40, N = Hc * Wc;
  ag::Var d = leaf(normalized({1, 16, Hc, Wc}, gen)), w = leaf(normalized({1, 16, Hc, Wc}, gen));
  ag::reset_peak_saved_tensor_bytes();
  DescriptorLossOptions o;
  o.chunk_rows = 6;  // chunks of 6 x 40 cells: temporaries of 240 x 1200
  Tensor h = test_homographies().narrow(0, 0, 1);
  ag::Var loss = descriptor_loss(d, w, h, Tensor(), o);
  EXPECT_LT(ag::peak_saved_tensor_bytes(), size_t(N * N * 4 / 4));
  ag::backward(loss);
  EXPECT_EQ(d.grad().shape(), (Shape{1, 16, Hc, Wc}));
  EXPECT_GT(sum(abs(w.grad())).item<float>(), 0.0f);
}

TEST(SuperPointLoss, DetectorLossEdgeCasesAndErrors) {
  // Logits that put all mass on the target class give a loss near 0; a fully invalid
  // mask gives exactly 0.
  Tensor labels = zeros({1, 1, 16, 16});
  labels.select(0, 0).select(0, 0).select(0, 3).select(0, 10).fill_(
      1.0);  // cell (0, 1), k = 3*8 + 2
  Tensor logits = zeros({1, 65, 2, 2});
  for (int64_t cell = 0; cell < 4; ++cell)
    logits.select(1, 64).select(1, cell / 2).select(1, cell % 2).fill_(30.0);
  logits.select(1, 64).select(1, 0).select(1, 1).fill_(0.0);
  logits.select(1, 26).select(1, 0).select(1, 1).fill_(30.0);
  for (auto kind : {DetectorLossKind::CrossEntropy, DetectorLossKind::SoftmaxBce})
    EXPECT_LT(detector_loss(ag::Var(logits), labels, Tensor(), kind).item<float>(), 1e-6f);
  EXPECT_EQ(detector_loss(ag::Var(logits), labels, zeros({1, 1, 16, 16})).item<float>(), 0.0f);
  EXPECT_SP_ERROR(detector_loss(ag::Var(logits), zeros({1, 1, 16, 8}), Tensor()),
                  "expected labels of shape [1, 1, 16, 16], got [1, 1, 16, 8]");
  EXPECT_SP_ERROR(detector_loss(ag::Var(zeros({1, 64, 2, 2})), labels, Tensor()),
                  "expected logits [B, 65, Hc, Wc]");
  EXPECT_SP_ERROR(detector_loss_kind("focal"), "expected \"ce\" or \"bce\", got \"focal\"");
  ag::Var d(zeros({1, 4, 2, 2}));
  EXPECT_SP_ERROR(descriptor_loss(d, ag::Var(zeros({1, 4, 2, 3})), eye(3).unsqueeze(0), Tensor()),
                  "of equal shapes");
  EXPECT_SP_ERROR(descriptor_loss(d, d, eye(3), Tensor()),
                  "expected homographies [1, 3, 3], got [3, 3]");
}

TEST(SuperPointLossGpu, DescriptorLossOnCudaEqualsCpu) {
  SP_SKIP_WITHOUT_GPU();
  Generator gen(13);
  for (DType dtype : {DType::F32, DType::F64}) {
    const int64_t Hc = 5, Wc = 7;
    Tensor d0 = normalized({2, 8, Hc, Wc}, gen, dtype), w0 = normalized({2, 8, Hc, Wc}, gen, dtype);
    w0 = add(w0, mul(d0, Scalar(1.5)));
    w0 = div(w0, norm(w0, 2.0, {1}, true));
    Tensor mask = ones({2, 1, 8 * Hc, 8 * Wc});
    mask.select(0, 0).narrow(1, 30, 10).fill_(0.0);
    for (int64_t rows : {1, 2, 0}) {
      DescriptorLossOptions o;
      o.chunk_rows = rows;
      ag::Var cd = leaf(d0), cw = leaf(w0), gd = leaf(d0.cuda()), gw = leaf(w0.cuda());
      ag::Var cpu = descriptor_loss(cd, cw, test_homographies(), mask, o);
      ag::Var gpu = descriptor_loss(gd, gw, test_homographies().cuda(), mask.cuda(), o);
      EXPECT_TRUE(gpu.data().is_cuda());
      EXPECT_TRUE(test::all_close(gpu.data().cpu(), cpu.data(), 1e-5, 1e-6))
          << dtype << " rows " << rows;
      ag::backward(cpu);
      ag::backward(gpu);
      EXPECT_TRUE(test::all_close(gd.grad().cpu(), cd.grad(), 1e-4, 1e-6))
          << dtype << " rows " << rows;
      EXPECT_TRUE(test::all_close(gw.grad().cpu(), cw.grad(), 1e-4, 1e-6))
          << dtype << " rows " << rows;
    }
  }
}

}  // namespace
}  // namespace sp::models

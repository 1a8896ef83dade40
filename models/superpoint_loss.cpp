#include "models/superpoint_loss.h"

#include <algorithm>

#include "autograd/functions/elementwise.h"
#include "autograd/functions/reduce.h"
#include "autograd/functions/softmax.h"
#include "autograd/node.h"
#include "autograd/operators.h"
#include "models/keypoints.h"
#include "models/superpoint_loss_cuda.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/elementwise.h"
#include "tensor/ops/matmul.h"
#include "tensor/ops/movement.h"
#include "tensor/ops/reduce.h"

namespace sp::models {

DetectorLossKind detector_loss_kind(const std::string& name) {
  if (name == "ce") return DetectorLossKind::CrossEntropy;
  if (name == "bce") return DetectorLossKind::SoftmaxBce;
  SP_CHECK(false, "detector_loss: expected \"ce\" or \"bce\", got \"", name, "\"");
  return DetectorLossKind::CrossEntropy;
}

namespace {

void check_map(const Tensor& t, const char* what, int64_t B, int64_t H, int64_t W) {
  SP_CHECK(t.dim() == 4 && t.size(0) == B && t.size(1) == 1 && t.size(2) == H && t.size(3) == W,
           "superpoint loss: expected ", what, " of shape [", B, ", 1, ", H, ", ", W, "], got ",
           t.shape());
}

}  // namespace

Tensor cell_valid_mask(const Tensor& valid_mask) {
  SP_CHECK(valid_mask.dim() == 4 && valid_mask.size(1) == 1,
           "cell_valid_mask: expected a mask [B, 1, H, W], got ", valid_mask.shape());
  Tensor m = valid_mask.dtype() == DType::F64 ? valid_mask : valid_mask.to(DType::F32);
  return prod(pixel_unshuffle(m, kCell), {1}, true);
}

Tensor detector_targets(const Tensor& labels) {
  SP_CHECK(labels.dim() == 4 && labels.size(1) == 1,
           "detector_targets: expected keypoint maps [B, 1, H, W], got ", labels.shape());
  Tensor t64 =
      pixel_unshuffle(labels.dtype() == DType::F64 ? labels : labels.to(DType::F32), kCell);
  Tensor count = sum(t64, {1}, true);
  // [PS] labels2Dto3D: dustbin = 1 - count, then every value below 1 becomes 0.
  Tensor dustbin = logical_not(lt(sub(Scalar(1.0), count), Scalar(1.0))).to(t64.dtype());
  Tensor t = cat({t64, dustbin}, 1);
  return div(t, sum(t, {1}, true));
}

ag::Var detector_loss(const ag::Var& logits, const Tensor& labels, const Tensor& valid_mask,
                      DetectorLossKind kind) {
  SP_CHECK(logits.dim() == 4 && logits.size(1) == kCell * kCell + 1,
           "detector_loss: expected logits [B, 65, Hc, Wc], got ", logits.shape());
  const int64_t B = logits.size(0), H = logits.size(2) * kCell, W = logits.size(3) * kCell;
  check_map(labels, "labels", B, H, W);
  const Device device = logits.device();
  const DType dtype = logits.dtype();
  Tensor target = detector_targets(labels.to(device)).to(dtype);
  Tensor mask = valid_mask.defined() ? (check_map(valid_mask, "valid_mask", B, H, W),
                                        cell_valid_mask(valid_mask.to(device)).to(dtype))
                                     : ones({B, 1, H / kCell, W / kCell}, dtype, device);
  ag::Var t(target), log_p = ag::log_softmax(logits, 1), per_cell;
  if (kind == DetectorLossKind::CrossEntropy) {
    per_cell = -ag::sum(t * log_p, {1}, true);
  } else {
    // BCE(p, t) = -[t log p + (1 - t) log(1 - p)] with PyTorch's clamp of the logs at
    // -100; 1 - p is clamped before the log so p = 1 gives a finite value and gradient.
    ag::Var p = ag::exp(log_p);
    ag::Var log_1mp = ag::clamp(ag::log(ag::clamp(1.0 - p, Scalar(1e-30), std::nullopt)),
                                Scalar(-100.0), std::nullopt);
    ag::Var log_pc = ag::clamp(log_p, Scalar(-100.0), std::nullopt);
    per_cell = -ag::sum(t * log_pc + (1.0 - t) * log_1mp, {1}, true);
  }
  ag::Var m(mask);
  return ag::sum(per_cell * m) / (ag::sum(m) + 1e-10);
}

namespace {

// Cell centres (x, y) = (8w + 3.5, 8h + 3.5), row-major over (h, w): [Hc * Wc, 2].
Tensor cell_centers(int64_t Hc, int64_t Wc, DType dtype, Device device) {
  Tensor xs = add(mul(arange(0, double(Wc), 1, dtype, device), Scalar(kCell)), Scalar(3.5));
  Tensor ys = add(mul(arange(0, double(Hc), 1, dtype, device), Scalar(kCell)), Scalar(3.5));
  Tensor x = xs.view({1, Wc}).expand({Hc, Wc});
  Tensor y = ys.view({Hc, 1}).expand({Hc, Wc});
  return stack({x, y}, -1).reshape({Hc * Wc, 2});
}

// a [B, M, K] (or [M, K], shared) times b [B, K, N] -> [B, M, N]. On CUDA one batched
// GEMM (cuBLAS strided-batched): a loop of per-image products there is launch-bound
// (64 pairs x 30 chunks x 4 products per step). On the CPU one 2-D product per image:
// the batched CPU matmul opens an OpenMP region per call, which costs ~20 ms on a
// loaded machine for these few, mostly small products.
Tensor per_image_matmul(const Tensor& a, const Tensor& b) {
  if (b.is_cuda()) return matmul(a, b);
  const int64_t B = b.size(0);
  const bool shared = a.dim() == 2;
  Tensor out = empty({B, a.size(shared ? 0 : 1), b.size(2)}, b.dtype(), b.device());
  for (int64_t i = 0; i < B; ++i)
    out.select(0, i).copy_(matmul(shared ? a : a.select(0, i), b.select(0, i)));
  return out;
}

// Points [N, 2] mapped by the homographies h [B, 3, 3]: [B, N, 2].
Tensor warp_points(const Tensor& h, const Tensor& pts) {
  Tensor hom = cat({pts, ones({pts.size(0), 1}, pts.dtype(), pts.device())}, 1);
  Tensor out = per_image_matmul(hom, h.transpose(1, 2));
  return div(out.narrow(2, 0, 2), out.narrow(2, 2, 1));
}

struct DescriptorLossInputs {
  Tensor desc, warped, homography, mask;  // [B, D, Hc, Wc] x2, [B, 3, 3], [B, 1, Hc, Wc]
  DescriptorLossOptions o;
};

// Visits chunks of rows of A's cells, all images at once: fn(n0, n1, b [B, D, N],
// a_chunk [B, D, n], warped [B, n, 2] (the chunk's cell centres in B's frame),
// centers [N, 2], dot [B, n, N], mask [B, 1, N]). Temporaries are O(B * n * N); the
// automatic chunk keeps B * n * N near 4M elements on the CPU and 64M (256 MB in f32)
// on a GPU, where fewer, larger products and kernels are what makes it fast.
template <typename Fn>
void for_each_chunk(const DescriptorLossInputs& in, Fn&& fn) {
  const int64_t B = in.desc.size(0), D = in.desc.size(1), Hc = in.desc.size(2),
                Wc = in.desc.size(3);
  const int64_t N = Hc * Wc;
  if (N == 0 || B == 0) return;
  int64_t rows = in.o.chunk_rows;
  const int64_t budget = int64_t(1) << (in.desc.is_cuda() ? 26 : 22);
  if (rows <= 0) rows = std::max<int64_t>(1, budget / std::max<int64_t>(B * Wc * N, 1));
  rows = std::min(rows, Hc);
  Tensor centers = cell_centers(Hc, Wc, in.desc.dtype(), in.desc.device());
  Tensor da = in.desc.reshape({B, D, N});
  Tensor db = in.warped.reshape({B, D, N});
  Tensor warped_a = warp_points(in.homography, centers);  // [B, N, 2]
  Tensor mask = in.mask.reshape({B, 1, N}).contiguous();
  for (int64_t r0 = 0; r0 < Hc; r0 += rows) {
    const int64_t n0 = r0 * Wc, n1 = std::min(r0 + rows, Hc) * Wc;
    Tensor a_chunk = da.slice(2, n0, n1);
    Tensor dot = per_image_matmul(a_chunk.transpose(1, 2), db);
    fn(n0, n1, db, a_chunk, warped_a.slice(1, n0, n1).contiguous(), centers, dot, mask);
  }
}

// s [B, n, N]: 1 where ||warped_i - center_j|| <= distance.
Tensor correspondence(const Tensor& warped, const Tensor& centers, double thr2) {
  const int64_t N = centers.size(0);
  Tensor diff = sub(warped.unsqueeze(2), centers.view({1, 1, N, 2}));  // [B, n, N, 2]
  return le(sum(square(diff), {3}), Scalar(thr2)).to(warped.dtype());
}

}  // namespace

ag::Var descriptor_loss(const ag::Var& descriptors, const ag::Var& warped_descriptors,
                        const Tensor& homography, const Tensor& warped_valid_mask,
                        const DescriptorLossOptions& options) {
  SP_CHECK(descriptors.dim() == 4 && descriptors.shape() == warped_descriptors.shape(),
           "descriptor_loss: expected descriptors [B, D, Hc, Wc] of equal shapes, got ",
           descriptors.shape(), " and ", warped_descriptors.shape());
  SP_CHECK(descriptors.device() == warped_descriptors.device() &&
               descriptors.dtype() == warped_descriptors.dtype(),
           "descriptor_loss: expected both descriptor maps on one device with one dtype, got ",
           descriptors.device(), " ", descriptors.dtype(), " and ", warped_descriptors.device(),
           " ", warped_descriptors.dtype());
  const int64_t B = descriptors.size(0), Hc = descriptors.size(2), Wc = descriptors.size(3);
  SP_CHECK(homography.dim() == 3 && homography.size(0) == B && homography.size(1) == 3 &&
               homography.size(2) == 3,
           "descriptor_loss: expected homographies [", B, ", 3, 3], got ", homography.shape());
  const DType dtype = descriptors.dtype();
  const Device device = descriptors.device();
  DescriptorLossInputs in;
  in.desc = descriptors.data();
  in.warped = warped_descriptors.data();
  in.homography = homography.to(device, dtype);
  if (warped_valid_mask.defined()) {
    check_map(warped_valid_mask, "warped_valid_mask", B, Hc * kCell, Wc * kCell);
    in.mask = cell_valid_mask(warped_valid_mask.to(device)).to(dtype);
  } else {
    in.mask = ones({B, 1, Hc, Wc}, dtype, device);
  }
  in.o = options;
  const double lambda = options.lambda_d, mp = options.positive_margin,
               mn = options.negative_margin;
  Tensor normalizer = mul(clamp(sum(in.mask), Scalar(1.0), std::nullopt), Scalar(double(Hc * Wc)));

  const detail::HingeParams hp{options.distance * options.distance, lambda, mp, mn};
  Tensor total = zeros({}, dtype, device);
  for_each_chunk(in, [&](int64_t, int64_t, const Tensor&, const Tensor&, const Tensor& warped,
                         const Tensor& centers, const Tensor& dot, const Tensor& mask) {
    if (dot.is_cuda()) {
      Tensor rows = empty({dot.size(0), dot.size(1)}, dtype, device);
      detail::descriptor_hinge_rows_cuda(dot, warped, centers, mask, hp, rows);
      total = add(total, sum(rows));
      return;
    }
    Tensor s = correspondence(warped, centers, hp.thr2);
    Tensor pos = mul(mul(s, relu(sub(Scalar(mp), dot))), Scalar(lambda));
    Tensor neg = mul(sub(Scalar(1.0), s), relu(sub(dot, Scalar(mn))));
    total = add(total, sum(mul(add(pos, neg), mask)));
  });
  Tensor loss = div(total, normalizer);

  return ag::make_result(
      "descriptor_loss", loss, {descriptors, warped_descriptors},
      {normalizer, in.desc, in.warped, in.homography, in.mask},
      [options, lambda, mp, mn](const ag::BackwardArgs& a) {
        const DescriptorLossInputs in{a.saved[1], a.saved[2], a.saved[3], a.saved[4], options};
        Tensor factor = div(a.grad(), a.saved[0]);
        const int64_t B = in.desc.size(0), D = in.desc.size(1),
                      N = in.desc.size(2) * in.desc.size(3);
        Tensor grad_a = zeros({B, D, N}, in.desc.dtype(), in.desc.device()),
               grad_b = zeros_like(grad_a);
        const DType dtype = in.desc.dtype();
        const detail::HingeParams hp{options.distance * options.distance, lambda, mp, mn};
        for_each_chunk(in, [&](int64_t n0, int64_t n1, const Tensor& db, const Tensor& a_chunk,
                               const Tensor& warped, const Tensor& centers, const Tensor& dot,
                               const Tensor& mask) {
          Tensor gdot = dot;  // [B, n, N]
          if (dot.is_cuda()) {
            detail::descriptor_hinge_grad_cuda(gdot, warped, centers, mask, hp,
                                               factor.to(dtype).reshape({1}));
          } else {
            // dl/d(dot) = -lambda s [m_p - dot > 0] + (1 - s) [dot - m_n > 0], masked.
            Tensor s = correspondence(warped, centers, hp.thr2);
            Tensor gpos =
                mul(mul(s, gt(sub(Scalar(mp), dot), Scalar(0.0)).to(dtype)), Scalar(-lambda));
            Tensor gneg = mul(sub(Scalar(1.0), s), gt(sub(dot, Scalar(mn)), Scalar(0.0)).to(dtype));
            gdot = mul(mul(add(gpos, gneg), mask), factor);
          }
          Tensor ga = grad_a.slice(2, n0, n1);
          ga.copy_(per_image_matmul(db, gdot.transpose(1, 2)));
          add_(grad_b, per_image_matmul(a_chunk, gdot));
        });
        grad_a = grad_a.view(in.desc.shape());
        grad_b = grad_b.view(in.desc.shape());
        return std::vector<Tensor>{a.needs(0) ? grad_a : Tensor(), a.needs(1) ? grad_b : Tensor()};
      });
}

}  // namespace sp::models

#include "features/nearest_neighbor.h"

#include <limits>

#include "tensor/check.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/index.h"
#include "tensor/ops/matmul.h"
#include "tensor/ops/operators.h"
#include "tensor/ops/reduce.h"

namespace sp::features {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Nearest neighbour along the last dim of squared distances [B, N, M] (+inf = not a
// candidate), with the options' tests: index [B, N] i64 or -1.
Tensor nearest(const Tensor& d2, const NearestNeighborOptions& o) {
  const Tensor nn = argmin(d2, 2);                                // [B, N]
  const Tensor best = gather(d2, 2, nn.unsqueeze(2)).squeeze(2);  // [B, N]
  Tensor ok = isfinite(best);
  if (o.ratio_threshold > 0) {
    // The second-nearest: the same row with the nearest taken out.
    const Tensor columns = arange(d2.size(2), DType::I64, d2.device()).view({1, 1, d2.size(2)});
    const Tensor second = amin(where(eq(columns, nn.unsqueeze(2)), kInf, d2), {2});
    ok = logical_and(ok, best <= Scalar(o.ratio_threshold * o.ratio_threshold) * second);
  }
  if (o.distance_threshold > 0)
    ok = logical_and(ok, best <= Scalar(o.distance_threshold * o.distance_threshold));
  return where(ok, nn, Scalar(int64_t(-1)));
}

// Keeps m0[i] = j only where m1[j] == i.
Tensor mutual(const Tensor& m0, const Tensor& m1) {
  const Tensor matched = m0 >= Scalar(int64_t(0));
  const Tensor back = gather(m1, 1, where(matched, m0, Scalar(int64_t(0))));
  const Tensor self = arange(m0.size(1), DType::I64, m0.device()).view({1, m0.size(1)});
  return where(logical_and(matched, eq(back, self)), m0, Scalar(int64_t(-1)));
}

// The similarity of each match, 0 where unmatched: sim [B, N, M], m [B, N].
Tensor scores_of(const Tensor& sim, const Tensor& m) {
  const Tensor matched = m >= Scalar(int64_t(0));
  const Tensor s = gather(sim, 2, where(matched, m, Scalar(int64_t(0))).unsqueeze(2)).squeeze(2);
  return where(matched, s, 0.0).to(DType::F32);
}

void check_mask(const Tensor& mask, const Tensor& desc, const char* name) {
  if (!mask.defined()) return;
  SP_CHECK(mask.dim() == 2 && mask.size(0) == desc.size(0) && mask.size(1) == desc.size(1),
           "match_nearest_neighbors: expected ", name, " of shape [", desc.size(0), ", ",
           desc.size(1), "], got ", mask.shape());
  SP_CHECK(mask.device() == desc.device(), "match_nearest_neighbors: expected ", name, " on ",
           desc.device(), ", got ", mask.device());
}

}  // namespace

Matches match_nearest_neighbors(const Tensor& desc0, const Tensor& desc1, const Tensor& mask0,
                                const Tensor& mask1, const NearestNeighborOptions& o) {
  SP_CHECK(desc0.defined() && desc1.defined(),
           "match_nearest_neighbors: expected descriptors for both images; hint: a detector-only "
           "model has none");
  SP_CHECK(desc0.dim() == 3 && desc1.dim() == 3 && desc0.size(0) == desc1.size(0) &&
               (desc0.size(2) == desc1.size(2) || desc0.size(1) == 0 || desc1.size(1) == 0),
           "match_nearest_neighbors: expected descriptors [B, N, D] and [B, M, D], got ",
           desc0.shape(), " and ", desc1.shape());
  SP_CHECK(is_floating(desc0.dtype()) && desc0.dtype() == desc1.dtype(),
           "match_nearest_neighbors: expected descriptors of one floating dtype, got ",
           desc0.dtype(), " and ", desc1.dtype());
  SP_CHECK(desc0.device() == desc1.device(),
           "match_nearest_neighbors: expected descriptors on one device, got ", desc0.device(),
           " and ", desc1.device());
  check_mask(mask0, desc0, "mask0");
  check_mask(mask1, desc1, "mask1");
  const int64_t B = desc0.size(0), N = desc0.size(1), M = desc1.size(1);
  const Device dev = desc0.device();
  Matches out;
  if (N == 0 || M == 0) {
    out.matches0 = full({B, N}, -1, DType::I64, dev);
    out.matches1 = full({B, M}, -1, DType::I64, dev);
    out.matching_scores0 = zeros({B, N}, DType::F32, dev);
    out.matching_scores1 = zeros({B, M}, DType::F32, dev);
    return out;
  }
  const Tensor sim = bmm(desc0, desc1.transpose(1, 2));  // [B, N, M]
  // Squared L2 distances, summed as -2ab + |a|^2 + |b|^2 (not clamped at 0: rounding
  // below 0 must not turn distinct distances into ties).
  const Tensor sq0 = sum(desc0 * desc0, {2}, /*keepdim=*/true);                  // [B, N, 1]
  const Tensor sq1 = sum(desc1 * desc1, {2}, /*keepdim=*/true).transpose(1, 2);  // [B, 1, M]
  Tensor d2 = (sim * Scalar(-2.0) + sq0) + sq1;
  if (mask0.defined() || mask1.defined()) {
    const Tensor v0 = mask0.defined() ? mask0.to(DType::Bool) : ones({B, N}, DType::Bool, dev);
    const Tensor v1 = mask1.defined() ? mask1.to(DType::Bool) : ones({B, M}, DType::Bool, dev);
    d2 = where(logical_and(v0.unsqueeze(2), v1.unsqueeze(1)), d2, kInf);
  }
  Tensor m0 = nearest(d2, o);
  Tensor m1 = nearest(d2.transpose(1, 2), o);
  if (o.mutual) {
    const Tensor k0 = mutual(m0, m1);
    m1 = mutual(m1, m0);
    m0 = k0;
  }
  out.matches0 = m0;
  out.matches1 = m1;
  out.matching_scores0 = scores_of(sim, m0);
  out.matching_scores1 = scores_of(sim.transpose(1, 2), m1);
  return out;
}

Matches match_nearest_neighbors(const Features& f0, const Features& f1,
                                const NearestNeighborOptions& o) {
  return match_nearest_neighbors(f0.descriptors, f1.descriptors, f0.mask, f1.mask, o);
}

}  // namespace sp::features

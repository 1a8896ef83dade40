#include "tensor/ops/attention.h"

#include <cmath>

#include "tensor/cuda/attention.h"
#include "tensor/ops/creation.h"

namespace sp {
namespace {

constexpr const char* kWhat = "scaled_dot_product_attention";

Shape leading(const Tensor& t) {
  Shape s;
  for (int d = 0; d < t.dim() - 2; ++d) s.push_back(t.size(d));
  return s;
}
Shape with(Shape lead, std::initializer_list<int64_t> tail) {
  for (int64_t v : tail) lead.push_back(v);
  return lead;
}

// Checks q, k, v (and mask); returns the mask expanded to [*, N, M] (or undefined).
Tensor check_inputs(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask,
                    const char* what) {
  for (const Tensor* t : {&q, &k, &v}) check_defined(*t, what);
  check_same_device(q, k, what);
  check_same_device(q, v, what);
  check_floating(q, what, "q");
  SP_CHECK(k.dtype() == q.dtype() && v.dtype() == q.dtype(), what,
           ": expected q, k and v of one dtype, got ", q.dtype(), ", ", k.dtype(), " and ",
           v.dtype());
  SP_CHECK(q.dim() >= 2 && k.dim() == q.dim() && v.dim() == q.dim(), what,
           ": expected q [*, N, d], k [*, M, d] and v [*, M, dv] of one rank >= 2, got q ",
           q.shape(), ", k ", k.shape(), " and v ", v.shape());
  SP_CHECK(leading(k) == leading(q) && leading(v) == leading(q), what,
           ": expected q, k and v with the same leading dims, got q ", q.shape(), ", k ", k.shape(),
           " and v ", v.shape());
  SP_CHECK(k.size(-1) == q.size(-1), what, ": expected k [*, M, ", q.size(-1),
           "] with the head dim of q ", q.shape(), ", got k ", k.shape());
  SP_CHECK(v.size(-2) == k.size(-2), what, ": expected v [*, ", k.size(-2), ", dv] with the ",
           k.size(-2), " keys of k ", k.shape(), ", got v ", v.shape());
  if (!mask.defined()) return Tensor();
  check_same_device(q, mask, what);
  SP_CHECK(mask.dtype() == DType::Bool, what, ": expected a bool mask (true = attend), got ",
           mask.dtype());
  const Shape target = with(leading(q), {q.size(-2), k.size(-2)});
  bool ok = mask.dim() <= target.rank();
  for (int i = 0; ok && i < mask.dim(); ++i) {
    const int64_t m = mask.size(mask.dim() - 1 - i), t = target[target.rank() - 1 - i];
    ok = m == t || m == 1;
  }
  SP_CHECK(ok, what, ": expected a mask broadcastable to [*, N, M] = ", target, " for q ",
           q.shape(), " and k ", k.shape(), ", got ", mask.shape());
  return mask.expand(target);
}

// The kernels read rows with unit stride along the last dim; CPU kernels compute in f32/f64.
Tensor prepare(const Tensor& t, bool cpu) {
  Tensor r = cpu && (t.dtype() == DType::F16 || t.dtype() == DType::BF16) ? t.to(DType::F32) : t;
  return r.size(-1) > 1 && r.stride(-1) != 1 ? r.contiguous() : r;
}

DType compute_dtype(DType t, bool cpu) {
  return cpu && (t == DType::F16 || t == DType::BF16) ? DType::F32 : t;
}
DType lse_dtype(DType t) {
  return t == DType::F64 ? DType::F64 : DType::F32;
}

double resolve_scale(const Tensor& q, std::optional<double> scale) {
  if (scale) return *scale;
  return q.size(-1) > 0 ? 1.0 / std::sqrt(double(q.size(-1))) : 1.0;
}

}  // namespace

AttentionResult scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v,
                                             const Tensor& mask, std::optional<double> scale) {
  const Tensor m = check_inputs(q, k, v, mask, kWhat);
  const bool cpu = q.is_cpu();
  const DType ct = compute_dtype(q.dtype(), cpu);
  const Shape lead = leading(q);
  AttentionResult r{empty(with(lead, {q.size(-2), v.size(-1)}), ct, q.device()),
                    empty(with(lead, {q.size(-2)}), lse_dtype(q.dtype()), q.device())};
  if (r.output.numel() == 0 && r.logsumexp.numel() == 0) return r;
  const double s = resolve_scale(q, scale);
  (cpu ? cpu::attention_forward : cuda::attention_forward)(r.output, r.logsumexp, prepare(q, cpu),
                                                           prepare(k, cpu), prepare(v, cpu), m, s);
  if (r.output.dtype() != q.dtype()) r.output = r.output.to(q.dtype());
  return r;
}

AttentionGrads scaled_dot_product_attention_backward(const Tensor& grad_out, const Tensor& q,
                                                     const Tensor& k, const Tensor& v,
                                                     const Tensor& output, const Tensor& logsumexp,
                                                     const Tensor& mask,
                                                     std::optional<double> scale) {
  const char* what = "scaled_dot_product_attention_backward";
  const Tensor m = check_inputs(q, k, v, mask, what);
  const Shape out_shape = with(leading(q), {q.size(-2), v.size(-1)});
  for (const Tensor* t : {&grad_out, &output}) {
    check_defined(*t, what);
    SP_CHECK(t->shape() == out_shape && t->dtype() == q.dtype() && t->device() == q.device(), what,
             ": expected grad_out and output like the forward's output ", q.dtype(), out_shape, " ",
             q.device(), ", got ", t->meta());
  }
  check_defined(logsumexp, what);
  SP_CHECK(logsumexp.shape() == with(leading(q), {q.size(-2)}) &&
               logsumexp.dtype() == lse_dtype(q.dtype()),
           what, ": expected the forward's logsumexp ", lse_dtype(q.dtype()),
           with(leading(q), {q.size(-2)}), ", got ", logsumexp.meta());
  const bool cpu = q.is_cpu();
  const DType ct = compute_dtype(q.dtype(), cpu);
  AttentionGrads g{empty(q.shape(), ct, q.device()), empty(k.shape(), ct, q.device()),
                   empty(v.shape(), ct, q.device())};
  if (g.grad_q.numel() + g.grad_k.numel() + g.grad_v.numel() == 0) return g;
  const double s = resolve_scale(q, scale);
  (cpu ? cpu::attention_backward : cuda::attention_backward)(
      g.grad_q, g.grad_k, g.grad_v, prepare(grad_out, cpu), prepare(q, cpu), prepare(k, cpu),
      prepare(v, cpu), prepare(output, cpu).contiguous(), logsumexp.contiguous(), m, s);
  if (ct != q.dtype()) {
    g.grad_q = g.grad_q.to(q.dtype());
    g.grad_k = g.grad_k.to(q.dtype());
    g.grad_v = g.grad_v.to(q.dtype());
  }
  return g;
}

}  // namespace sp

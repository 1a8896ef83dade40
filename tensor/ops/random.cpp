#include "tensor/ops/random.h"

#include "tensor/ops/copy.h"
#include "tensor/ops/creation.h"

namespace sp {

Generator& default_generator() {
  static Generator gen;
  return gen;
}

void manual_seed(uint64_t seed) {
  default_generator() = Generator(seed, 0);
}

namespace {
enum class Dist { Uniform, Normal };

// The one place where the floating draws pick a device.
void fill_dist(const Tensor& out, Dist dist, double a, double b, Generator& gen) {
  const uint64_t offset = gen.advance(out.numel());
  if (out.numel() == 0) return;
  if (out.is_cpu()) {
    if (dist == Dist::Uniform) return cpu::fill_uniform(out, gen.seed, offset, a, b);
    return cpu::fill_normal(out, gen.seed, offset, a, b);
  }
  if (dist == Dist::Uniform) return cuda::fill_uniform(out, gen.seed, offset, a, b);
  return cuda::fill_normal(out, gen.seed, offset, a, b);
}

Tensor draw(const Shape& shape, DType dtype, Device device, Dist dist, double a, double b,
            Generator& gen, const char* what) {
  SP_CHECK(is_floating(dtype), what, ": expected a floating dtype (f32, f64, f16, bf16), got ",
           dtype);
  Tensor out = empty(shape, dtype, device);
  fill_dist(out, dist, a, b, gen);
  return out;
}

// In-place draws write logical element i; non-contiguous targets go through a buffer.
Tensor& fill_in_place(Tensor& t, Dist dist, double a, double b, Generator& gen, const char* what) {
  check_defined(t, what);
  check_floating(t, what, "tensor");
  if (t.is_contiguous()) {
    fill_dist(t, dist, a, b, gen);
  } else {
    Tensor buffer = empty(t.shape(), t.dtype(), t.device());
    fill_dist(buffer, dist, a, b, gen);
    copy_into(t, buffer);
  }
  return t;
}
}  // namespace

Tensor rand(const Shape& shape, Generator& gen, DType dtype, Device device) {
  return draw(shape, dtype, device, Dist::Uniform, 0.0, 1.0, gen, "rand");
}
Tensor rand(const Shape& shape, DType dtype, Device device) {
  return rand(shape, default_generator(), dtype, device);
}

Tensor randn(const Shape& shape, Generator& gen, DType dtype, Device device) {
  return draw(shape, dtype, device, Dist::Normal, 0.0, 1.0, gen, "randn");
}
Tensor randn(const Shape& shape, DType dtype, Device device) {
  return randn(shape, default_generator(), dtype, device);
}

Tensor& normal_(Tensor& t, double mean, double std, Generator& gen) {
  SP_CHECK(std >= 0, "normal_: expected std >= 0, got ", std);
  return fill_in_place(t, Dist::Normal, mean, std, gen, "normal_");
}

Tensor& uniform_(Tensor& t, double low, double high, Generator& gen) {
  SP_CHECK(low <= high, "uniform_: expected low <= high, got ", low, " and ", high);
  return fill_in_place(t, Dist::Uniform, low, high, gen, "uniform_");
}

Tensor bernoulli(const Tensor& p, Generator& gen) {
  check_defined(p, "bernoulli");
  check_floating(p, "bernoulli", "p");
  Tensor out = empty(p.shape(), p.dtype(), p.device());
  const uint64_t offset = gen.advance(out.numel());
  if (out.numel() == 0) return out;
  Tensor prob = p.contiguous();
  if (p.is_cpu())
    cpu::bernoulli(out, prob, gen.seed, offset);
  else
    cuda::bernoulli(out, prob, gen.seed, offset);
  return out;
}

Tensor bernoulli(double p, const Shape& shape, Generator& gen, DType dtype, Device device) {
  SP_CHECK(p >= 0 && p <= 1, "bernoulli: expected p in [0, 1], got ", p);
  Tensor out = empty(shape, dtype, device);
  const uint64_t offset = gen.advance(out.numel());
  if (out.numel() == 0) return out;
  Tensor prob = scalar_tensor(p, DType::F64, device);
  if (device.is_cpu())
    cpu::bernoulli(out, prob, gen.seed, offset);
  else
    cuda::bernoulli(out, prob, gen.seed, offset);
  return out;
}

// Integer draws are generated on the host and moved: the same numbers on every device.
Tensor randint(int64_t low, int64_t high, const Shape& shape, Generator& gen, DType dtype,
               Device device) {
  SP_CHECK(high > low, "randint: expected low < high, got [", low, ", ", high, ")");
  const uint64_t range = uint64_t(high) - uint64_t(low);
  SP_CHECK(range <= (uint64_t(1) << 32), "randint: expected high - low <= 2^32, got ", range);
  SP_CHECK(dtype != DType::Bool, "randint: expected a numeric dtype, got bool");
  Tensor out = empty(shape, dtype, kCPU);
  const uint64_t offset = gen.advance(out.numel());
  if (out.numel()) cpu::fill_randint(out, gen.seed, offset, low, range);
  return out.to(device);
}

Tensor randperm(int64_t n, Generator& gen, DType dtype, Device device) {
  SP_CHECK(n >= 0 && uint64_t(n) <= (uint64_t(1) << 32), "randperm: expected n in [0, 2^32], got ",
           n);
  SP_CHECK(dtype != DType::Bool, "randperm: expected a numeric dtype, got bool");
  Tensor out = empty({n}, dtype, kCPU);
  const uint64_t offset = gen.advance(n);
  if (n) cpu::randperm(out, gen.seed, offset);
  return out.to(device);
}

}  // namespace sp

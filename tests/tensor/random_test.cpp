#include "tensor/ops/random.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "helpers/test_helpers.h"
#include "tensor/math/philox.h"
#include "tensor/ops/creation.h"

namespace sp {
namespace {

using test::all_close;
using test::equal;

struct Moments {
  double mean = 0, var = 0;
};
Moments moments(const Tensor& t) {
  std::vector<double> v = t.to_vector<double>();
  Moments m;
  for (double x : v) m.mean += x;
  m.mean /= double(v.size());
  for (double x : v) m.var += (x - m.mean) * (x - m.mean);
  m.var /= double(v.size() - 1);
  return m;
}

TEST(Random, PhiloxMatchesRandom123KnownAnswers) {
  auto ref = test::load_fixture("random.h5");
  std::vector<int64_t> ctr = ref.at("kat_ctr").to_vector<int64_t>(),
                       key = ref.at("kat_key").to_vector<int64_t>();
  std::vector<int64_t> want = ref.at("kat_out").to_vector<int64_t>();
  ASSERT_EQ(want.size(), 12u);
  for (int k = 0; k < 3; ++k) {
    philox::Block c{{uint32_t(ctr[4 * k]), uint32_t(ctr[4 * k + 1]), uint32_t(ctr[4 * k + 2]),
                     uint32_t(ctr[4 * k + 3])}};
    philox::Block out = philox::philox4x32_10(c, uint32_t(key[2 * k]), uint32_t(key[2 * k + 1]));
    for (int j = 0; j < 4; ++j)
      EXPECT_EQ(out.w[j], uint32_t(want[4 * k + j])) << "vector " << k << " word " << j;
  }
}

TEST(Random, StreamLayoutMatchesPythonReference) {
  auto ref = test::load_fixture("random.h5");
  const std::vector<std::pair<uint64_t, uint64_t>> states = {
      {0, 0}, {42, 7}, {0x123456789ABCDEF0ull, (1ull << 32) + 3}};
  for (auto [seed, offset] : states) {
    std::string tag = "s";
    tag += std::to_string(seed);
    tag += "_o";
    tag += std::to_string(offset);
    SCOPED_TRACE(tag);
    std::vector<int64_t> words = ref.at("words_" + tag).to_vector<int64_t>();
    for (size_t i = 0; i < words.size(); ++i)
      EXPECT_EQ(philox::stream_word(seed, offset, i), uint32_t(words[i]));
    Generator g(seed, offset);
    EXPECT_TRUE(equal(rand({11}, g, DType::F64), ref.at("uniform_" + tag)));
    EXPECT_EQ(g.offset, offset + 3);  // 11 elements = 3 blocks
    Generator h(seed, offset);
    EXPECT_TRUE(all_close(randn({11}, h, DType::F64), ref.at("normal_" + tag), 1e-12, 1e-12));
  }
}

TEST(Random, UniformAndNormalStatistics) {
  Generator g(1234);
  Moments u = moments(rand({100000}, g));
  EXPECT_NEAR(u.mean, 0.5, 0.005);
  EXPECT_NEAR(u.var, 1.0 / 12, 0.002);
  Tensor r = rand({100000}, g, DType::F64);
  std::vector<double> rv = r.to_vector<double>();
  EXPECT_GE(*std::min_element(rv.begin(), rv.end()), 0.0);
  EXPECT_LT(*std::max_element(rv.begin(), rv.end()), 1.0);
  Moments n = moments(randn({100000}, g));
  EXPECT_NEAR(n.mean, 0.0, 0.02);
  EXPECT_NEAR(n.var, 1.0, 0.03);
  Tensor t = empty({400, 250});
  normal_(t, 3.0, 2.0, g);
  Moments m = moments(t);
  EXPECT_NEAR(m.mean, 3.0, 0.04);
  EXPECT_NEAR(m.var, 4.0, 0.12);
  uniform_(t, -2.0, 6.0, g);
  Moments w = moments(t);
  EXPECT_NEAR(w.mean, 2.0, 0.04);
  EXPECT_NEAR(w.var, 64.0 / 12, 0.15);
  Moments b = moments(bernoulli(0.3, {100000}, g));
  EXPECT_NEAR(b.mean, 0.3, 0.007);
  Tensor ri = randint(-3, 5, {100000}, g);
  std::vector<int64_t> iv = ri.to_vector<int64_t>();
  EXPECT_EQ(*std::min_element(iv.begin(), iv.end()), -3);
  EXPECT_EQ(*std::max_element(iv.begin(), iv.end()), 4);
  EXPECT_NEAR(moments(ri).mean, 0.5, 0.03);
}

TEST(Random, BernoulliFollowsPerElementProbabilities) {
  Generator g(7);
  Tensor p = full({2, 50000}, 0.9, DType::F64);
  p.select(0, 0).fill_(0.1);
  Tensor s = bernoulli(p, g);
  EXPECT_EQ(s.dtype(), DType::F64);
  EXPECT_NEAR(moments(s.select(0, 0)).mean, 0.1, 0.006);
  EXPECT_NEAR(moments(s.select(0, 1)).mean, 0.9, 0.006);
  EXPECT_EQ(moments(bernoulli(zeros({1000}), g)).mean, 0.0);
  EXPECT_EQ(moments(bernoulli(ones({1000}), g)).mean, 1.0);
}

TEST(Random, RandpermIsAPermutation) {
  Generator g(99);
  for (int64_t n : {0, 1, 2, 17, 1000}) {
    std::vector<int64_t> v = randperm(n, g).to_vector<int64_t>();
    std::vector<int64_t> sorted = v;
    std::sort(sorted.begin(), sorted.end());
    for (int64_t i = 0; i < n; ++i) ASSERT_EQ(sorted[i], i) << "n = " << n;
  }
  Generator a(5), b(5);
  EXPECT_EQ(randperm(50, a).to_vector<int64_t>(), randperm(50, b).to_vector<int64_t>());
  EXPECT_NE(randperm(50, a).to_vector<int64_t>(),
            randperm(50, a).to_vector<int64_t>());  // next offset
}

TEST(Random, DeterministicPerSeedAndOffset) {
  Generator a(42), b(42), c(43);
  Tensor x = randn({3, 5}, a), y = randn({3, 5}, b), z = randn({3, 5}, c);
  EXPECT_TRUE(equal(x, y));
  EXPECT_FALSE(equal(x, z));
  EXPECT_EQ(a.offset, 4u);                   // 15 elements = 4 blocks
  EXPECT_FALSE(equal(randn({3, 5}, a), x));  // the next draw is a new stream segment
  // Draws of 10 then 6 equal elements [0, 10) and [12, 18) of one draw of 18.
  Generator d(8), e(8);
  Tensor first = rand({10}, d), second = rand({6}, d), whole = rand({18}, e);
  EXPECT_TRUE(equal(first, whole.slice(0, 0, 10)));
  EXPECT_TRUE(equal(second, whole.slice(0, 12, 18)));
  // In-place draws fill non-contiguous views in logical order.
  Generator f(3), h(3);
  Tensor base = zeros({5, 4});
  Tensor view = base.t();
  normal_(view, 0.0, 1.0, f);
  EXPECT_TRUE(equal(view.contiguous(), randn({4, 5}, h)));
  // The default generator restarts with manual_seed.
  manual_seed(11);
  Tensor p = rand({4});
  manual_seed(11);
  EXPECT_TRUE(equal(rand({4}), p));
}

TEST(Random, ErrorsAndSizeZero) {
  Generator g(1);
  EXPECT_EQ(rand({0, 3}, g).shape(), (Shape{0, 3}));
  EXPECT_EQ(g.offset, 0u);
  EXPECT_SP_ERROR(rand({2}, g, DType::I64), "rand: expected a floating dtype");
  EXPECT_SP_ERROR(randint(3, 3, {2}, g), "expected low < high, got [3, 3)");
  EXPECT_SP_ERROR(randint(0, int64_t(1) << 40, {2}, g), "high - low <= 2^32");
  EXPECT_SP_ERROR(bernoulli(1.5, {2}, g), "expected p in [0, 1], got 1.5");
  EXPECT_SP_ERROR(randperm(-1, g), "expected n in [0, 2^32], got -1");
  Tensor i = zeros({2}, DType::I32);
  EXPECT_SP_ERROR(normal_(i, 0, 1, g), "normal_: expected tensor");
  EXPECT_EQ(rand({3}, g, DType::BF16).dtype(), DType::BF16);
}

TEST(RandomGpu, CudaStreamEqualsCpuBitForBit) {
  SP_SKIP_WITHOUT_GPU();
  const Device gpu = cuda_device(0);
  for (DType dt : {DType::F32, DType::F64, DType::F16}) {
    for (int64_t n : {1, 7, 4099, 100003}) {
      SCOPED_TRACE(std::string(name(dt)) + " n=" + std::to_string(n));
      Generator c(2024, 5), d(2024, 5);
      EXPECT_TRUE(equal(rand({n}, d, dt, gpu).cpu(), rand({n}, c, dt)));
      EXPECT_TRUE(equal(randn({n}, d, dt, gpu).cpu(), randn({n}, c, dt)));
      EXPECT_TRUE(equal(bernoulli(0.37, {n}, d, dt, gpu).cpu(), bernoulli(0.37, {n}, c, dt)));
      Generator pg(77);
      Tensor p = rand({n}, pg, dt);
      EXPECT_TRUE(equal(bernoulli(p.to(gpu), d).cpu(), bernoulli(p, c)));
      Tensor host = empty({n, 2}, dt), dev = empty({n, 2}, dt, gpu);
      Tensor hv = host.t(), dv = dev.t();
      normal_(hv, 1.5, 0.25, c);
      normal_(dv, 1.5, 0.25, d);
      EXPECT_TRUE(equal(dev.cpu(), host));
      EXPECT_EQ(c.offset, d.offset);
    }
  }
  Generator c(9), d(9);
  EXPECT_TRUE(equal(randperm(333, d, DType::I64, gpu).cpu(), randperm(333, c)));
  EXPECT_TRUE(
      equal(randint(-5, 9, {77}, d, DType::I32, gpu).cpu(), randint(-5, 9, {77}, c, DType::I32)));
}

}  // namespace
}  // namespace sp

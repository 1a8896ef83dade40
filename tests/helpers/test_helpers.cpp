#include "helpers/test_helpers.h"

#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "tensor/io/hdf5.h"
#include "tensor/ops/creation.h"

namespace sp::test {

namespace {
// Compiled-in defaults, overridable from the environment (runs on another machine).
std::string env_or(const char* var, const char* fallback) {
  const char* v = std::getenv(var);
  return v && *v ? v : fallback;
}
}  // namespace

std::string fixture_path(const std::string& name) {
  return env_or("SP_FIXTURE_DIR", SP_FIXTURE_DIR) + "/" + name;
}

std::map<std::string, Tensor> load_fixture(const std::string& name) {
  return io::read_all(fixture_path(name));
}

Tensor lcg_uniform(const Shape& shape, uint64_t seed, double lo, double hi, uint64_t stream) {
  std::vector<double> v(size_t(numel(shape)));
  uint64_t s = seed * 0x9e3779b97f4a7c15ull + stream;
  for (auto& x : v) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    x = lo + (hi - lo) * (double(s >> 11) / double(1ull << 53));
  }
  return from_vector(v, shape);
}

std::string temp_dir(const std::string& tag) {
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string test = info ? std::string(info->test_suite_name()) + "." + info->name() : "global";
  std::filesystem::path p =
      std::filesystem::path(env_or("SP_TEST_TMP", SP_BINARY_DIR "/test_tmp")) /
      (test + "." + tag + "." + std::to_string(::getpid()));
  std::filesystem::remove_all(p);
  std::filesystem::create_directories(p);
  return p.string();
}

::testing::AssertionResult all_close(const Tensor& actual, const Tensor& expected, double rtol,
                                     double atol) {
  if (!actual.defined() || !expected.defined())
    return ::testing::AssertionFailure() << "undefined tensor";
  if (actual.shape() != expected.shape())
    return ::testing::AssertionFailure()
           << "shape " << actual.shape() << " vs expected " << expected.shape();
  std::vector<double> a = actual.to_vector<double>(), b = expected.to_vector<double>();
  double worst = 0;
  int64_t worst_i = -1;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::isnan(a[i]) && std::isnan(b[i])) continue;
    if (std::isinf(b[i]) && a[i] == b[i]) continue;
    double err = std::abs(a[i] - b[i]);
    double excess = err - (atol + rtol * std::abs(b[i]));
    if (std::isnan(err) || excess > worst) {
      worst = std::isnan(err) ? INFINITY : excess;
      worst_i = int64_t(i);
    }
  }
  if (worst_i < 0) return ::testing::AssertionSuccess();
  std::ostringstream idx;
  int64_t rem = worst_i;
  Strides st = contiguous_strides(actual.shape());
  idx << '[';
  for (int d = 0; d < actual.dim(); ++d) {
    idx << (d ? ", " : "") << rem / st[d];
    rem %= st[d];
  }
  idx << ']';
  return ::testing::AssertionFailure()
         << "worst element at " << idx.str() << ": actual " << a[worst_i] << ", expected "
         << b[worst_i] << " (rtol " << rtol << ", atol " << atol << ", shape " << actual.shape()
         << ")";
}

::testing::AssertionResult equal(const Tensor& actual, const Tensor& expected) {
  if (actual.dtype() != expected.dtype())
    return ::testing::AssertionFailure()
           << "dtype " << actual.dtype() << " vs expected " << expected.dtype();
  return all_close(actual, expected, 0.0, 0.0);
}

}  // namespace sp::test

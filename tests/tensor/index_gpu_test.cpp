// CUDA index_select / gather / scatter_add / index_add against the CPU kernels, with
// strided operands, empty index sets, repeated indices (atomics) and bad indices.
#include <gtest/gtest.h>

#include "helpers/test_helpers.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/index.h"

namespace sp {
namespace {

using test::all_close;

Tensor values(const Shape& shape, DType dtype, uint64_t seed) {
  return test::lcg_uniform(shape, seed, -2.0, 2.0, 11).to(dtype);
}

Tensor indices(const Shape& shape, int64_t bound, DType dtype, uint64_t seed) {
  std::vector<int64_t> v(size_t(numel(shape)));
  uint64_t s = seed + 5;
  for (auto& x : v) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    x = int64_t((s >> 33) % uint64_t(bound));
  }
  return from_vector(v, shape).to(dtype);
}

TEST(IndexGpu, SelectAndGatherMatchCpu) {
  SP_SKIP_WITHOUT_GPU();
  for (DType dt : {DType::F32, DType::F64, DType::I64}) {
    Tensor t = values({5, 7, 3}, dt, 1);
    Tensor tv = t.permute({1, 0, 2});  // [7, 5, 3] strided
    for (DType it : {DType::I32, DType::I64}) {
      for (int dim : {0, 1, 2}) {
        Tensor idx = indices({9}, tv.size(dim), it, uint64_t(dim));
        EXPECT_TRUE(
            all_close(index_select(tv.cuda(), dim, idx.cuda()), index_select(tv, dim, idx), 0, 0));
        Tensor gidx = indices({4, 5, 2}, tv.size(dim), it, uint64_t(dim + 7));
        EXPECT_TRUE(all_close(gather(tv.cuda(), dim, gidx.cuda()), gather(tv, dim, gidx), 0, 0));
      }
      Tensor none = zeros({0}, it);
      EXPECT_EQ(index_select(t.cuda(), 1, none.cuda()).shape(), (Shape{5, 0, 3}));
    }
  }
  Tensor t = values({4, 3}, DType::F32, 2);
  EXPECT_SP_ERROR(index_select(t.cuda(), 0, from_vector<int64_t>({1, 4}).cuda()),
                  "expected indices in [0, 4), got 4");
  EXPECT_SP_ERROR(gather(t.cuda(), 1, from_vector<int64_t>({0, -1}, {1, 2}).cuda()), "got -1");
}

TEST(IndexGpu, ScatterAddAndIndexAddAccumulateLikeCpu) {
  SP_SKIP_WITHOUT_GPU();
  for (DType dt : {DType::F32, DType::F64, DType::I32}) {
    Tensor base = values({6, 8}, dt, 3);
    for (int dim : {0, 1}) {
      // Many collisions: 300 updates into 6 or 8 slots.
      Tensor idx = indices({30, 8}, base.size(dim), DType::I64, uint64_t(dim + 1));
      Tensor src = values({30, 8}, dt, 4);
      if (dim == 1) idx = indices({6, 50}, 8, DType::I64, 9), src = values({6, 50}, dt, 5);
      const double tol = dt == DType::F32 ? 1e-5 : 1e-12;
      EXPECT_TRUE(all_close(scatter_add(base.cuda(), dim, idx.cuda(), src.cuda()),
                            scatter_add(base, dim, idx, src), tol, tol))
          << dt << " dim " << dim;
      Tensor ia = indices({11}, base.size(dim), DType::I32, uint64_t(dim + 3));
      Shape ss = base.shape();
      ss[dim] = 11;
      Tensor s2 = values(ss, dt, 6);
      EXPECT_TRUE(all_close(index_add(base.cuda(), dim, ia.cuda(), s2.cuda(), 2.0),
                            index_add(base, dim, ia, s2, 2.0), tol, tol))
          << dt << " dim " << dim;
    }
  }
  // In place into a transposed view.
  Tensor t = zeros({3, 4}, DType::F32);
  Tensor g = t.cuda();
  Tensor gv = g.t();
  Tensor idx = from_vector<int64_t>({0, 2, 2, 1}, {4, 1});
  Tensor src = ones({4, 1}, DType::F32);
  scatter_add_(gv, 1, idx.cuda(), src.cuda());
  Tensor tv = t.t();
  scatter_add_(tv, 1, idx, src);
  EXPECT_TRUE(all_close(g, t, 0, 0));
  EXPECT_SP_ERROR(scatter_add(g, 0, from_vector<int64_t>({3}, {1, 1}).cuda(), src.cuda()), "got 3");
}

}  // namespace
}  // namespace sp

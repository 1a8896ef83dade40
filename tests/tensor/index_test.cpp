#include "tensor/ops/index.h"

#include <gtest/gtest.h>

#include "helpers/test_helpers.h"
#include "tensor/ops/creation.h"

namespace sp {
namespace {

using test::all_close;
using test::equal;

class IndexFixture : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ref_ = new std::map<std::string, Tensor>(test::load_fixture("index.h5"));
  }
  static void TearDownTestSuite() { delete ref_; }
  const Tensor& ref(const std::string& k) { return ref_->at(k); }
  static std::map<std::string, Tensor>* ref_;
};
std::map<std::string, Tensor>* IndexFixture::ref_ = nullptr;

TEST_F(IndexFixture, IndexSelectGatherScatterMatchPyTorch) {
  Tensor x = ref("x"), idx = ref("idx");
  EXPECT_TRUE(equal(index_select(x, 1, idx), ref("index_select_d1")));
  EXPECT_TRUE(
      equal(index_select(x.transpose(0, 2), -1, idx.slice(0, 1, 3)), ref("index_select_t")));
  EXPECT_TRUE(equal(index_select(x, 1, idx.to(DType::I32)), ref("index_select_d1")));
  EXPECT_TRUE(equal(gather(x, 1, ref("gather_index")), ref("gather_d1")));
  EXPECT_TRUE(all_close(scatter_add(x, 0, ref("scatter_index"), ref("scatter_src")),
                        ref("scatter_add_d0")));
  Tensor y = x.clone();
  scatter_add_(y, 0, ref("scatter_index"), ref("scatter_src"));
  EXPECT_TRUE(all_close(y, ref("scatter_add_d0")));
  Tensor ia = from_vector<int64_t>({5, 0, 5});
  EXPECT_TRUE(all_close(index_add(x, 2, ia, ones({4, 5, 3}), 2.0), ref("index_add_d2")));
}

TEST_F(IndexFixture, MaskedSelectAndNonzeroMatchPyTorch) {
  Tensor x = ref("x"), mask = ref("mask").to(DType::Bool);
  EXPECT_TRUE(equal(masked_select(x, mask), ref("masked_select")));
  EXPECT_TRUE(
      equal(masked_select(x, mask.select(0, 0).slice(1, 0, 1)), ref("masked_select_bcast")));
  EXPECT_TRUE(equal(nonzero(mask), ref("nonzero")));
  EXPECT_EQ(nonzero(zeros({3, 0})).shape(), (Shape{0, 2}));
  EXPECT_EQ(nonzero(scalar_tensor(2.0)).shape(), (Shape{1, 0}));
  EXPECT_SP_ERROR(masked_select(x, mask.to(DType::U8)), "expected mask of dtype bool, got u8");
}

TEST_F(IndexFixture, SortTopkArgsortMatchPyTorch) {
  Tensor y = ref("y"), x = ref("x");
  auto s = sort(y, 1);
  EXPECT_TRUE(equal(s.values, ref("sort_v")));
  EXPECT_TRUE(equal(s.indices, ref("sort_i")));
  auto sd = sort(y, -1, true);
  EXPECT_TRUE(equal(sd.values, ref("sortd_v")));
  EXPECT_TRUE(equal(sd.indices, ref("sortd_i")));
  auto s0 = sort(x, 0);
  EXPECT_TRUE(equal(s0.values, ref("sort0_v")));
  EXPECT_TRUE(equal(s0.indices, ref("sort0_i")));
  auto t = topk(x, 3);
  EXPECT_TRUE(equal(t.values, ref("topk_v")));
  EXPECT_TRUE(equal(t.indices, ref("topk_i")));
  auto ts = topk(x, 2, 1, false);
  EXPECT_TRUE(equal(ts.values, ref("topks_v")));
  EXPECT_TRUE(equal(ts.indices, ref("topks_i")));
  EXPECT_TRUE(equal(argsort(x.transpose(0, 1), 1, true), ref("argsort_t")));
  EXPECT_EQ(topk(x, 0).values.shape(), (Shape{4, 5, 0}));
  EXPECT_EQ(sort(zeros({0, 3}), 0).indices.shape(), (Shape{0, 3}));
  EXPECT_SP_ERROR(topk(x, 7), "expected k in [0, 6] for dim 2 of [4, 5, 6], got 7");
  auto i32 = sort(from_vector<int32_t>({3, -1, 2}));
  EXPECT_EQ(i32.values.to_vector<int32_t>(), (std::vector<int32_t>{-1, 2, 3}));
}

TEST_F(IndexFixture, OneHotMatchesPyTorch) {
  Tensor i = from_vector<int64_t>({0, 3, 2, 1}, {2, 2});
  EXPECT_TRUE(equal(one_hot(i, 5), ref("one_hot")));
  EXPECT_EQ(one_hot(i).shape(), (Shape{2, 2, 4}));
  EXPECT_SP_ERROR(one_hot(i, 3), "one_hot: expected indices in [0, 3), got 3 at position [0, 1]");
  EXPECT_SP_ERROR(one_hot(empty({0}, DType::I64)), "hint: pass num_classes");
}

TEST(Index, ErrorsNameShapesAndIndices) {
  Tensor x = arange(0.0, 10.0, 1.0, DType::F32).reshape({2, 5});
  EXPECT_SP_ERROR(index_select(x, 1, from_vector<int64_t>({0, 1, 7})),
                  "index_select: expected indices in [0, 5), got 7 at position 2");
  EXPECT_SP_ERROR(index_select(x, 1, from_vector<int64_t>({-1})), "got -1 at position 0");
  EXPECT_SP_ERROR(index_select(x, 2, from_vector<int64_t>({0})), "index_select");
  EXPECT_SP_ERROR(index_select(x, 0, from_vector<float>({0})),
                  "expected indices of dtype i64 or i32, got f32");
  EXPECT_SP_ERROR(gather(x, 0, from_vector<int64_t>({0, 2}, {1, 2})),
                  "gather: expected indices in [0, 2), got 2 at position [0, 1]");
  EXPECT_SP_ERROR(gather(x, 1, zeros({3, 1}, DType::I64)),
                  "expected index [3, 1] no larger than input [2, 5] in dim 0");
  EXPECT_SP_ERROR(scatter_add(x, 1, full({1, 1}, 9, DType::I64), ones({1, 1})),
                  "got 9 at position [0, 0]");
  EXPECT_SP_ERROR(scatter_add(x, 1, zeros({1, 2}, DType::I64), ones({1, 1})),
                  "index [1, 2] no larger than src [1, 1]");
  Tensor b = zeros({1, 5}).expand({2, 5});
  EXPECT_SP_ERROR(scatter_add_(b, 1, zeros({1, 1}, DType::I64), ones({1, 1})), "broadcast");
}

TEST(Index, SizeZeroAndSizeOneDims) {
  Tensor x = arange(0.0, 6.0, 1.0, DType::F32).reshape({1, 6});
  EXPECT_EQ(index_select(x, 1, empty({0}, DType::I64)).shape(), (Shape{1, 0}));
  EXPECT_EQ(index_select(x, 0, from_vector<int64_t>({0, 0, 0})).shape(), (Shape{3, 6}));
  EXPECT_EQ(gather(x, 1, empty({1, 0}, DType::I64)).shape(), (Shape{1, 0}));
  EXPECT_EQ(masked_select(x, full({}, 1.0, DType::Bool)).numel(), 6);
  EXPECT_EQ(index_select(scalar_tensor(4.0), 0, from_vector<int64_t>({0})).item<float>(), 4.0f);
  Tensor counts = scatter_add(zeros({3}), 0, from_vector<int64_t>({2, 2, 0, 2}), ones({4}));
  EXPECT_EQ(counts.to_vector<float>(), (std::vector<float>{1, 0, 3}));
}

// Every index op has a CUDA kernel now; mixing devices is refused with both devices named.
TEST(IndexGpu, MixedDevicesNameBothDevices) {
  SP_SKIP_WITHOUT_GPU();
  Tensor x = arange(0.0, 10.0, 1.0, DType::F32).reshape({2, 5});
  Tensor idx = from_vector<int64_t>({0, 1});
  const char* both = "expected tensors on the same device, got cuda:0 and cpu";
  EXPECT_SP_ERROR(index_select(x.cuda(), 1, idx), both);
  EXPECT_SP_ERROR(gather(x.cuda(), 1, idx.reshape({1, 2})), both);
  EXPECT_SP_ERROR(index_add(x.cuda(), 1, idx, zeros({2, 2})), both);
  EXPECT_SP_ERROR(masked_select(x.cuda(), ones({2, 5}, DType::Bool)), both);
  EXPECT_SP_ERROR(index_select(x, 1, idx.cuda()),
                  "expected tensors on the same device, got cpu and cuda:0");
  EXPECT_SP_ERROR(scatter_add(x, 1, idx.reshape({1, 2}).cuda(), x), "got cpu and cuda:0");
}

}  // namespace
}  // namespace sp

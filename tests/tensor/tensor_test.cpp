#include "tensor/tensor.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "helpers/test_helpers.h"
#include "tensor/io/hdf5.h"
#include "tensor/ops/creation.h"

namespace sp {
namespace {

using test::all_close;
using test::equal;

Tensor iota(const Shape& shape, DType dtype = DType::F32) {
  return arange(0.0, double(numel(shape)), 1.0, dtype).reshape(shape);
}

TEST(DType, PromotionFollowsPyTorch) {
  EXPECT_EQ(promote_types(DType::I32, DType::F32), DType::F32);
  EXPECT_EQ(promote_types(DType::Bool, DType::U8), DType::U8);
  EXPECT_EQ(promote_types(DType::I64, DType::F16), DType::F16);
  EXPECT_EQ(promote_types(DType::F16, DType::BF16), DType::F32);
  EXPECT_EQ(promote_types(DType::F64, DType::F32), DType::F64);
  EXPECT_SP_ERROR(parse_dtype("f8"), "got 'f8'");
}

TEST(DType, HalfAndBFloat16RoundToNearestEven) {
  EXPECT_EQ(float(Half(1.0f)), 1.0f);
  EXPECT_EQ(float(Half(65504.0f)), 65504.0f);
  EXPECT_TRUE(std::isinf(float(Half(70000.0f))));
  EXPECT_EQ(float(Half(1.0f + 1.0f / 2048)), 1.0f);        // tie rounds to even
  EXPECT_EQ(float(Half(5.9604645e-08f)), 5.9604645e-08f);  // smallest subnormal
  EXPECT_EQ(float(BFloat16(1.0f + 1.0f / 256)), 1.0f);
  EXPECT_EQ(float(BFloat16(3.0f)), 3.0f);
  EXPECT_TRUE(std::isnan(float(BFloat16(NAN))));
}

TEST(Device, ParsesAndPrints) {
  EXPECT_EQ(Device("cuda:1").index, 1);
  EXPECT_EQ(Device("cpu").str(), "cpu");
  EXPECT_EQ(Device("cuda").str(), "cuda:0");
  EXPECT_SP_ERROR(Device("gpu"), "got 'gpu'");
}

TEST(Shape, BroadcastsLikePyTorch) {
  EXPECT_EQ(broadcast_shapes({8, 1, 3}, {4, 1}, "add"), (Shape{8, 4, 3}));
  EXPECT_EQ(broadcast_shapes({}, {2, 3}, "add"), (Shape{2, 3}));
  EXPECT_SP_ERROR(broadcast_shapes({2, 3}, {4}, "add"), "[2, 3] and [4]");
}

TEST(Tensor, ViewsShareStorage) {
  Tensor a = iota({2, 3, 4});
  Tensor t = a.transpose(0, 2);
  EXPECT_EQ(t.shape(), (Shape{4, 3, 2}));
  EXPECT_FALSE(t.is_contiguous());
  EXPECT_TRUE(t.shares_storage(a));
  EXPECT_EQ(t.contiguous().to_vector<float>()[1], 12.0f);  // t[0][0][1] = a[1][0][0]
  Tensor s = a.slice(2, 1, 4, 2);
  EXPECT_EQ(s.shape(), (Shape{2, 3, 2}));
  EXPECT_EQ(s.to_vector<float>(), (std::vector<float>{1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23}));
  EXPECT_EQ(a.select(1, -1).to_vector<float>(), (std::vector<float>{8, 9, 10, 11, 20, 21, 22, 23}));
  EXPECT_EQ(a.narrow(0, 1, 1).squeeze(0).shape(), (Shape{3, 4}));
  EXPECT_EQ(a.unsqueeze(-1).shape(), (Shape{2, 3, 4, 1}));
  EXPECT_EQ(a.permute({2, 0, 1}).shape(), (Shape{4, 2, 3}));
  EXPECT_EQ(a.flatten(1).shape(), (Shape{2, 12}));
}

TEST(Tensor, ViewNeedsCompatibleStridesReshapeCopies) {
  Tensor a = iota({2, 3, 4});
  EXPECT_TRUE(a.view({6, -1}).shares_storage(a));
  Tensor t = a.transpose(1, 2);
  EXPECT_SP_ERROR(t.view({-1}), "hint: use reshape()");
  Tensor r = t.reshape({-1});
  EXPECT_FALSE(r.shares_storage(a));
  EXPECT_EQ(r.to_vector<float>()[1], 4.0f);
  EXPECT_TRUE(a.slice(0, 0, 1).view({3, 4}).shares_storage(a));
  EXPECT_SP_ERROR(a.view({5, -1}), "cannot infer -1");
  EXPECT_SP_ERROR(a.view({7}), "24 elements");
}

TEST(Tensor, ZeroDimTensorsViewAsAnyOneElementShape) {
  Tensor s = full({}, 2.5);
  EXPECT_EQ(s.view({1, 1}).shape(), (Shape{1, 1}));
  EXPECT_TRUE(s.reshape({1}).shares_storage(s));
  EXPECT_EQ(s.reshape({1, 1, 1}).to_vector<float>(), std::vector<float>{2.5f});
  EXPECT_EQ(iota({1, 1}).view({}).dim(), 0);
}

TEST(Tensor, ExpandBroadcastsWithZeroStride) {
  Tensor a = iota({3, 1});
  Tensor e = a.expand({2, 3, 4});
  EXPECT_EQ(e.strides(), (Strides{0, 1, 0}));
  EXPECT_EQ(e.contiguous().to_vector<float>()[4], 1.0f);
  EXPECT_SP_ERROR(a.expand({2, 4}), "expected size 3 or 1");
}

TEST(Tensor, SizeZeroAndOneDims) {
  Tensor z = zeros({0, 3});
  EXPECT_EQ(z.numel(), 0);
  EXPECT_EQ(z.clone().shape(), (Shape{0, 3}));
  EXPECT_EQ(z.reshape({3, 0}).shape(), (Shape{3, 0}));
  Tensor s = scalar_tensor(2.5);
  EXPECT_EQ(s.dim(), 0);
  EXPECT_EQ(s.item<float>(), 2.5f);
  EXPECT_SP_ERROR(zeros({2}).item<float>(), "one element");
}

TEST(Tensor, DTypeConversionRoundTrips) {
  Tensor a = from_vector<float>({-1.5f, 0.f, 2.25f, 300.f});
  EXPECT_EQ(a.to(DType::I32).to_vector<int32_t>(), (std::vector<int32_t>{-1, 0, 2, 300}));
  EXPECT_EQ(a.to(DType::Bool).to_vector<uint8_t>(), (std::vector<uint8_t>{1, 0, 1, 1}));
  EXPECT_TRUE(equal(a.to(DType::F16).to(DType::F32), a));
  EXPECT_TRUE(equal(a.to(DType::BF16).to(DType::F32), a));
  EXPECT_SP_ERROR(a.data<double>(), "expected dtype f64");
}

TEST(Tensor, CopyBroadcastsIntoStridedDestination) {
  Tensor dst = zeros({3, 4}).t();  // [4, 3], non-contiguous
  dst.copy_(from_vector<double>({1, 2, 3}));
  EXPECT_EQ(dst.contiguous().to_vector<float>(),
            (std::vector<float>{1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3}));
  EXPECT_SP_ERROR(dst.copy_(zeros({2})), "expand");
}

TEST(Creation, MatchesPyTorchDefinitions) {
  EXPECT_EQ(arange(0.0, 1.0, 0.25, DType::F32).to_vector<float>(),
            (std::vector<float>{0, 0.25, 0.5, 0.75}));
  EXPECT_EQ(arange(5).dtype(), DType::I64);
  std::vector<float> l = linspace(0, 1, 5).to_vector<float>();
  EXPECT_EQ(l, (std::vector<float>{0, 0.25, 0.5, 0.75, 1}));
  EXPECT_EQ(eye(2, 3).to_vector<float>(), (std::vector<float>{1, 0, 0, 0, 1, 0}));
  EXPECT_EQ(full({2}, 7, DType::I64).to_vector<int64_t>(), (std::vector<int64_t>{7, 7}));
  EXPECT_SP_ERROR(from_vector<float>({1, 2, 3}, {2, 2}), "expected 4 values");
  EXPECT_SP_ERROR(arange(0.0, 1.0, 0.0), "non-zero step");
}

TEST(Tensor, PrintsLikePyTorch) {
  EXPECT_EQ(iota({2, 2}).str(), "tensor([[0, 1],\n        [2, 3]], f32[2, 2] cpu)");
  EXPECT_NE(iota({2000}).str().find("..."), std::string::npos);
}

TEST(Hdf5, RoundTripsTensorsAndAttributes) {
  std::string path = test::temp_dir("h5") + "/t.h5";
  io::write_atomically(path, [&](io::H5File& f) {
    f.write("a/b/x", iota({2, 3}));
    f.write("mask", from_vector<bool>({true, false}));
    f.write("half", iota({3}).to(DType::F16));
    f.write("empty", zeros({0, 2}, DType::I64));
    f.set_attr("a/b/x", "note", std::string("hello"));
    f.set_attr("", "step", int64_t(42));
  });
  io::H5File f(path, io::H5File::Mode::Read);
  EXPECT_EQ(f.datasets(), (std::vector<std::string>{"a/b/x", "empty", "half", "mask"}));
  EXPECT_TRUE(equal(f.read("a/b/x"), iota({2, 3})));
  EXPECT_EQ(f.read("mask").dtype(), DType::Bool);
  EXPECT_EQ(f.read("half").dtype(), DType::F16);
  EXPECT_EQ(f.read("empty").shape(), (Shape{0, 2}));
  EXPECT_EQ(f.attr_string("a/b/x", "note"), "hello");
  EXPECT_EQ(f.attr_int("", "step"), 42);
  EXPECT_SP_ERROR(f.read("nope"), "t.h5:nope");
}

TEST(Hdf5, ForeignOrTruncatedFileGivesClearError) {
  std::string dir = test::temp_dir("h5bad");
  { std::ofstream(dir + "/bad.h5") << "not an hdf5 file"; }
  EXPECT_SP_ERROR(io::H5File(dir + "/bad.h5", io::H5File::Mode::Read), "not HDF5");
  EXPECT_SP_ERROR(io::H5File(dir + "/missing.h5", io::H5File::Mode::Read), "got nothing there");
  // A failing writer leaves the previous file intact.
  io::write_atomically(dir + "/ok.h5", [](io::H5File& f) { f.write("x", ones({2})); });
  EXPECT_THROW(io::write_atomically(dir + "/ok.h5",
                                    [](io::H5File& f) {
                                      f.write("x", zeros({2}));
                                      SP_FAIL("writer failed");
                                    }),
               Error);
  EXPECT_TRUE(equal(io::read_all(dir + "/ok.h5").at("x"), ones({2})));
}

TEST(TensorGpu, RoundTripThroughDevice) {
  SP_SKIP_WITHOUT_GPU();
  Tensor a = iota({3, 4}, DType::F64);
  Tensor d = a.cuda();
  EXPECT_TRUE(d.is_cuda());
  EXPECT_TRUE(equal(d.t().contiguous().cpu(), a.t().contiguous()));
  EXPECT_TRUE(equal(d.to(DType::F32).cpu(), a.to(DType::F32)));
  Tensor z = zeros({2, 3}, DType::F32, cuda_device());
  z.slice(1, 1, 3).fill_(5);
  EXPECT_EQ(z.cpu().to_vector<float>(), (std::vector<float>{0, 5, 5, 0, 5, 5}));
}

}  // namespace
}  // namespace sp

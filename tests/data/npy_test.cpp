// .npy / .npz as numpy writes them (tests/reference/data_npy.py).
#include "data/npy.h"

#include <filesystem>
#include <fstream>

#include "helpers/test_helpers.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/operators.h"

namespace sp::data {
namespace {

std::string npy(const std::string& name) {
  return test::fixture_path("npy/" + name);
}

void expect_arrays(const NpzFile& z) {
  EXPECT_TRUE(test::all_close(z.get("f32").array,
                              from_vector<float>({-1, -0.6f, -0.2f, 0.2f, 0.6f, 1}, {2, 3})));
  std::vector<double> f64;
  for (int i = 0; i < 12; ++i) f64.push_back(i / 4.0);
  const Tensor expected = from_vector(f64, {3, 4});
  EXPECT_TRUE(test::equal(z.get("f64").array, expected));
  EXPECT_TRUE(test::equal(z.get("fortran").array, expected));  // Fortran order, same values
  EXPECT_TRUE(
      test::equal(z.get("i64").array, from_vector<int64_t>({-3, 0, 7, int64_t(1) << 40}, {4})));
  EXPECT_TRUE(test::equal(z.get("i32").array, from_vector<int64_t>({-2, 5}, {2})));
  EXPECT_TRUE(test::equal(z.get("u16").array, from_vector<int64_t>({1, 65535}, {2})));
  EXPECT_TRUE(test::equal(z.get("i8").array, from_vector<int64_t>({-128, 127}, {2})));
  EXPECT_EQ(z.get("bool").array.to(DType::U8).to_vector<uint8_t>(),
            (std::vector<uint8_t>{1, 0, 1}));
  EXPECT_EQ(z.get("scalar").array.item<double>(), 2.5);
  const NpyValue paths = z.get("paths");
  ASSERT_EQ(paths.kind, NpyValue::Kind::Objects);
  ASSERT_EQ(paths.items.size(), 3u);
  EXPECT_EQ(paths.items[0].string, "a/b.jpg");
  EXPECT_TRUE(paths.items[1].is_none());
  EXPECT_EQ(paths.items[2].string, "c.jpg");
  const NpyValue mats = z.get("mats");
  ASSERT_EQ(mats.items.size(), 2u);
  EXPECT_TRUE(test::equal(mats.items[0].array, eye(3, 3, DType::F64) * Scalar(2.0)));
  EXPECT_EQ(mats.items[1].array.shape(), Shape({4, 4}));
  EXPECT_EQ(mats.items[1].array.to_vector<double>()[15], 15.0);
}

TEST(Npz, ReadsNumericAndObjectArrays) {
  expect_arrays(NpzFile(npy("plain.npz")));
}

TEST(Npz, ReadsCompressedArchives) {
  expect_arrays(NpzFile(npy("compressed.npz")));
}

TEST(Npy, ReadsSingleArraysAndProtocolTwoPickles) {
  EXPECT_EQ(read_npy(npy("single.npy")).array.shape(), Shape({3, 4}));
  const NpyValue v = read_npy(npy("protocol2.npy"));
  ASSERT_EQ(v.items.size(), 2u);
  EXPECT_EQ(v.items[1].array.to_vector<double>()[5], 5.0);
}

TEST(Npz, MissingKeyNamesFileAndKeys) {
  const NpzFile z(npy("plain.npz"));
  EXPECT_SP_ERROR(z.get("poses"), "expected the array 'poses' in ");
  EXPECT_SP_ERROR(z.get("poses"), "plain.npz, got [bool, f32, f64");
}

TEST(Npz, TruncatedFilesFailNamingThem) {
  const std::string dir = test::temp_dir("npz_bad");
  std::ifstream in(npy("plain.npz"), std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::ofstream(dir + "/cut.npz", std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  EXPECT_SP_ERROR(NpzFile(dir + "/cut.npz"), "cut.npz");
  std::ofstream(dir + "/cut.npy", std::ios::binary) << std::string("\x93NUMPY\x01\x00", 8);
  EXPECT_SP_ERROR(read_npy(dir + "/cut.npy"), "cut.npy");
}

}  // namespace
}  // namespace sp::data

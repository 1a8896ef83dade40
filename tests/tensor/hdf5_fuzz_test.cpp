// Files found by the HDF5 harnesses (tests/fuzz/{checkpoint,labels,predictions}_fuzz.cpp,
// docs/FUZZING.md), rebuilt here with the HDF5 C API: each read fails with a clear
// sp::Error instead of undefined behaviour, an overflow or a huge allocation.
#include <gtest/gtest.h>
#include <hdf5.h>

#include <algorithm>
#include <string>
#include <vector>

#include "helpers/test_helpers.h"
#include "tensor/io/hdf5.h"
#include "tensor/ops/creation.h"

namespace sp::io {
namespace {

// A file written through the C API by `fill(file)`.
template <typename F>
std::string make_file(const std::string& name, F&& fill) {
  const std::string path = test::temp_dir("hdf5_fuzz") + "/" + name;
  hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  fill(file);
  H5Fclose(file);
  return path;
}

// A chunked f32 dataset of `dims` that is never written (no storage at all).
void unwritten(hid_t file, const char* name, std::vector<hsize_t> dims) {
  hid_t space = H5Screate_simple(int(dims.size()), dims.data(), nullptr);
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  std::vector<hsize_t> chunk;
  for (hsize_t d : dims) chunk.push_back(std::min<hsize_t>(d, 16));
  H5Pset_chunk(dcpl, int(chunk.size()), chunk.data());
  H5Dclose(H5Dcreate2(file, name, H5T_IEEE_F32LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT));
  H5Pclose(dcpl);
  H5Sclose(space);
}

// labels_fuzz: dims [2^62, 2^62] overflowed numel() (undefined behaviour) before empty().
TEST(Hdf5Fuzz, DimsWhoseProductOverflowsAreRejected) {
  const std::string path = make_file("overflow.h5", [](hid_t f) {
    unwritten(f, "points", {1ull << 62, 1ull << 62});
  });
  H5File f(path, H5File::Mode::Read);
  EXPECT_SP_ERROR(f.read("points"),
                  "hdf5: expected a dataset of a size its file backs at " + path +
                      ":points, got [4611686018427387904, 4611686018427387904] x 4 bytes (2^62 or "
                      "more bytes) for 0 stored bytes");
}

// labels_fuzz: [0, 2^62, 2^62] holds no element, but its contiguous strides overflowed.
TEST(Hdf5Fuzz, EmptyDatasetsWithOverflowingStridesAreRejected) {
  const std::string path = make_file("empty.h5", [](hid_t f) {
    unwritten(f, "points", {0, 1ull << 62, 1ull << 62});
  });
  H5File f(path, H5File::Mode::Read);
  EXPECT_SP_ERROR(
      f.read("points"),
      "got [0, 4611686018427387904, 4611686018427387904] x 4 bytes (2^62 or more bytes)");
  const std::string fine = make_file("fine.h5", [](hid_t f) { unwritten(f, "points", {0, 3}); });
  EXPECT_EQ(H5File(fine, H5File::Mode::Read).read("points").shape(), (Shape{0, 3}));
}

// predictions_fuzz: a few hundred bytes claiming 171 GB of descriptors made read()
// allocate them (out of memory).
TEST(Hdf5Fuzz, DatasetsLargerThanTheirFileAreRejectedBeforeAllocating) {
  const std::string path = make_file("huge.h5", [](hid_t f) {
    unwritten(f, "descriptors", {21474836484ull, 2});
  });
  H5File f(path, H5File::Mode::Read);
  EXPECT_SP_ERROR(f.read("descriptors"),
                  "got [21474836484, 2] x 4 bytes (171798691872 bytes) for 0 stored bytes");
  // A small dataset that was never written still reads (as its fill value, zeros).
  const std::string small = make_file("small.h5", [](hid_t f) { unwritten(f, "x", {4, 8}); });
  EXPECT_TRUE(test::equal(H5File(small, H5File::Mode::Read).read("x"), zeros({4, 8})));
}

// checkpoint_fuzz: attr_string read a 5-element string attribute into one string's
// memory (stack buffer overflow); attr_int / attr_double likewise.
TEST(Hdf5Fuzz, AttributesMustHoldOneValue) {
  const std::string path = make_file("attrs.h5", [](hid_t f) {
    hsize_t n = 5;
    hid_t space = H5Screate_simple(1, &n, nullptr);
    hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, 13);
    std::string text(5 * 13, 'x');
    hid_t a = H5Acreate2(f, "format", type, space, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, type, text.data());
    H5Aclose(a);
    std::vector<int64_t> values(5, 1);
    a = H5Acreate2(f, "version", H5T_STD_I64LE, space, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, H5T_NATIVE_INT64, values.data());
    H5Aclose(a);
    H5Tclose(type);
    H5Sclose(space);
    space = H5Screate(H5S_NULL);
    H5Aclose(H5Acreate2(f, "empty", H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT));
    H5Sclose(space);
  });
  H5File f(path, H5File::Mode::Read);
  EXPECT_SP_ERROR(f.attr_string("", "format"), "hdf5: expected attribute 'format' on " + path +
                                                   ":/ to hold one value, got 5 values");
  EXPECT_SP_ERROR(f.attr_int("", "version"), "to hold one value, got 5 values");
  EXPECT_SP_ERROR(f.attr_double("", "empty"), "to hold one value");
}

// checkpoint_fuzz: a link that leads to no object (here a dangling soft link) left
// datasets()'s H5O_info_t uninitialized; a group linked into itself recursed forever.
TEST(Hdf5Fuzz, DatasetWalkSkipsDanglingLinksAndCycles) {
  const std::string path = make_file("links.h5", [](hid_t f) {
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    hsize_t n = 2;
    hid_t space = H5Screate_simple(1, &n, nullptr);
    float v[2] = {1, 2};
    hid_t d = H5Dcreate2(f, "g/x", H5T_IEEE_F32LE, space, lcpl, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
    H5Dclose(d);
    H5Sclose(space);
    H5Lcreate_soft("/nowhere", f, "dangling", H5P_DEFAULT, H5P_DEFAULT);
    H5Lcreate_hard(f, "/", f, "g/loop", H5P_DEFAULT, H5P_DEFAULT);
    H5Lcreate_external("missing.h5", "/", f, "elsewhere", H5P_DEFAULT, H5P_DEFAULT);
    H5Pclose(lcpl);
  });
  H5File f(path, H5File::Mode::Read);
  EXPECT_EQ(f.datasets(), std::vector<std::string>{"g/x"});
  EXPECT_EQ(read_all(path).size(), 1u);
}

// Found in review next to the above: sp_dtype f16 on 8-byte floats made read() copy 8
// bytes per element into a 2-byte buffer; a null dataspace read as one uninitialized value.
TEST(Hdf5Fuzz, SpDtypeMustMatchTheStoredSizeAndNullSpacesAreRejected) {
  const std::string path = make_file("types.h5", [](hid_t f) {
    hsize_t n = 4;
    hid_t space = H5Screate_simple(1, &n, nullptr);
    double v[4] = {1, 2, 3, 4};
    hid_t d = H5Dcreate2(f, "wide", H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
    hid_t scalar = H5Screate(H5S_SCALAR);
    hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, 3);
    hid_t a = H5Acreate2(d, "sp_dtype", type, scalar, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, type, "f16");
    H5Aclose(a);
    H5Dclose(d);
    hid_t null_space = H5Screate(H5S_NULL);
    H5Dclose(H5Dcreate2(f, "nothing", H5T_IEEE_F32LE, null_space, H5P_DEFAULT, H5P_DEFAULT,
                        H5P_DEFAULT));
    H5Sclose(null_space);
    H5Tclose(type);
    H5Sclose(scalar);
    H5Sclose(space);
  });
  H5File f(path, H5File::Mode::Read);
  EXPECT_SP_ERROR(f.read("wide"), "hdf5: expected 2-byte values for sp_dtype f16 at " + path +
                                      ":wide, got 8-byte values");
  EXPECT_SP_ERROR(f.read("nothing"), "hdf5: expected a dataset with values at " + path +
                                         ":nothing, got an empty (null) dataspace");
}

// labels_fuzz: a bool dataset (sp_dtype "bool" on u8) holding the byte 100 was loaded
// into a bool tensor as is: undefined behaviour when read (here by to(f32)).
TEST(Hdf5Fuzz, BoolBytesAreNormalized) {
  const std::string path = make_file("bool.h5", [](hid_t f) {
    hsize_t n = 3;
    hid_t space = H5Screate_simple(1, &n, nullptr);
    uint8_t v[3] = {0, 100, 1};
    hid_t d = H5Dcreate2(f, "mask", H5T_STD_U8LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(d, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
    hid_t scalar = H5Screate(H5S_SCALAR);
    hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, 4);
    hid_t a = H5Acreate2(d, "sp_dtype", type, scalar, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, type, "bool");
    H5Aclose(a);
    H5Tclose(type);
    H5Sclose(scalar);
    H5Dclose(d);
    H5Sclose(space);
  });
  const Tensor t = H5File(path, H5File::Mode::Read).read("mask");
  ASSERT_EQ(t.dtype(), DType::Bool);
  const auto* b = static_cast<const uint8_t*>(t.data_ptr());
  EXPECT_EQ(b[0], 0);
  EXPECT_EQ(b[1], 1);
  EXPECT_EQ(b[2], 1);
}

}  // namespace
}  // namespace sp::io

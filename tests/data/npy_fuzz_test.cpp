// Inputs of the .npy / .npz harness (tests/fuzz/npy_fuzz.cpp, docs/FUZZING.md) and of its
// review, each rejected with a clear sp::Error (or read right).
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "data/npy.h"
#include "helpers/test_helpers.h"

namespace sp::data {
namespace {

using namespace std::string_literals;

std::string write(const std::string& name, const std::string& bytes) {
  const std::string path = test::temp_dir("npy_fuzz") + "/" + name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

std::string le(uint64_t v, int n) {
  std::string s;
  for (int k = 0; k < n; ++k) s.push_back(char((v >> (8 * k)) & 0xff));
  return s;
}

// A version-1 .npy: header dict (as numpy writes it) and payload.
std::string npy(const std::string& descr, const std::string& shape, const std::string& payload) {
  const std::string h =
      "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }\n";
  return "\x93NUMPY\x01\x00"s + le(h.size(), 2) + h + payload;
}

NpyValue read(const std::string& bytes) {
  return read_npy(write("a.npy", bytes));
}

// Review of npy_fuzz: the header was parsed with std::stoll (std::invalid_argument and
// std::out_of_range escaped), a missing ':' or ')' indexed from npos, and a version-2
// header length was read past a 10-byte file.
TEST(NpyFuzz, MalformedHeadersAreClearErrors) {
  EXPECT_SP_ERROR(read(npy("<f4", "(a, 3)", "")), "expected dims >= 0 in the .npy shape");
  EXPECT_SP_ERROR(read(npy("<f4", "(99999999999999999999,)", "")), "expected dims >= 0");
  EXPECT_SP_ERROR(read(npy("<f4", "3", "")), "expected a shape tuple");
  EXPECT_SP_ERROR(read(npy("<f4", "(3,", "")), "to be closed in the .npy header");
  EXPECT_SP_ERROR(read("\x93NUMPY\x01\x00\x07\x00'descr'"s), "expected ':' after 'descr'");
  EXPECT_SP_ERROR(read("\x93NUMPY\x02\x00\x00\x00"s), "expected a .npy header length");
  EXPECT_SP_ERROR(read("\x93NUMPY\x07\x00\x00\x00"s), "format version 1, 2 or 3, got 7");
  EXPECT_SP_ERROR(read(npy("<f3", "(1,)", "abc")), "expected a bool, integer or float dtype");
}

// Review of npy_fuzz: n x width was computed in 64 bits without overflow checks, so a
// shape of 2^62 x 4 f32 passed the size check (0 bytes) and from_data read 2^64 bytes;
// negative dims passed too.
TEST(NpyFuzz, ShapesCannotOverflowOrBeNegative) {
  EXPECT_SP_ERROR(read(npy("<f4", "(4611686018427387904, 4)", "")), "fits 64 bits");
  EXPECT_SP_ERROR(read(npy("<f4", "(0, 4611686018427387904, 4611686018427387904)", "")),
                  "fits 64 bits");
  EXPECT_SP_ERROR(read(npy("<f4", "(-1, -4)", std::string(16, '\0'))), "expected dims >= 0");
  EXPECT_SP_ERROR(read(npy("<f8", "(2, 3)", std::string(47, '\0'))), "expected 48 bytes");
  EXPECT_EQ(read(npy("<f8", "(0, 3)", "")).array.shape(), Shape({0, 3}));
}

// Review of npy_fuzz: bool bytes other than 0 and 1 were loaded as they are (undefined
// behaviour when read as bool); numpy reads any nonzero byte as True.
TEST(NpyFuzz, BoolBytesAreNormalized) {
  const NpyValue v = read(npy("|b1", "(3,)", "\x00\x64\x01"s));
  EXPECT_EQ(v.array.to(DType::U8).to_vector<uint8_t>(), (std::vector<uint8_t>{0, 1, 1}));
}

std::string pickle(const std::string& ops, const std::string& shape = "()") {
  return npy("|O", shape, "\x80\x02"s + ops);
}

// Review of npy_fuzz: DUP and BUILD on an empty stack read stack_.back() (undefined),
// memo indices went through std::stoull, calls indexed their arguments with at()
// (std::out_of_range), and a truncated UTF-8 pair in protocol-2 bytes was read past.
TEST(NpyFuzz, MalformedPicklesAreClearErrors) {
  EXPECT_SP_ERROR(read(pickle("2.")), "expected a value on the pickle stack");
  EXPECT_SP_ERROR(read(pickle("Nb.")), "expected a value on the pickle stack");
  EXPECT_SP_ERROR(read(pickle("Npx\n.")), "expected a memo index in the pickle, got 'x'");
  EXPECT_SP_ERROR(read(pickle("g99999999999999999999999\n.")), "expected a memo index");
  EXPECT_SP_ERROR(read(pickle("cnumpy\ndtype\n)R.")), "expected at least 1 arguments");
  EXPECT_SP_ERROR(read(pickle("c_codecs\nencode\nX\x01\x00\x00\x00\xc3\x85R."s)),
                  "expected latin-1 text as UTF-8");
  EXPECT_SP_ERROR(read(pickle("N1.")), "expected a MARK on the pickle stack");
}

// Review of npy_fuzz: a list appended to itself (DUP, APPEND) was a shared_ptr cycle,
// leaked and converted forever; lists sharing one list through the memo unfolded into
// 2^60 elements; nesting had no bound.
TEST(NpyFuzz, PickleCyclesSharingAndNestingAreBounded) {
  EXPECT_SP_ERROR(read(pickle("]2a.")), "nested at most 256 deep");
  std::string shared = "]q\x00"s;
  for (int k = 0; k < 60; ++k) shared += "(h"s + char(k) + "h"s + char(k) + "lq"s + char(k + 1);
  EXPECT_SP_ERROR(read(pickle(shared + ".")), "unfold into at most a few times its size");
  EXPECT_SP_ERROR(read(pickle(std::string(300, ']') + std::string(299, 'a') + ".")),
                  "nested at most 256 deep");
  const NpyValue ok = read(pickle(std::string(100, ']') + std::string(99, 'a') + "."));
  EXPECT_EQ(ok.items.size(), 1u);
}

// Review of npy_fuzz: an object array's shape was taken from the header whatever the
// number of elements, which NpyValue promises is the shape's product.
TEST(NpyFuzz, ObjectArraysHoldTheirShapesElements) {
  EXPECT_SP_ERROR(read(pickle("(NNl.", "(3,)")), "expected 3 objects for shape 1-d, got 2");
  EXPECT_EQ(read(pickle("(NNl.", "(2, 1)")).items.size(), 2u);
}

// One stored entry "a.npy" holding `data`; the central directory's sizes, local offset
// and extra field as given.
std::string zip(const std::string& data, uint16_t method, uint32_t csize, uint32_t usize,
                const std::string& extra = "") {
  const std::string name = "a.npy";
  std::string local = "PK\x03\x04"s + le(20, 2) + le(0, 2) + le(method, 2) + le(0, 4) + le(0, 4) +
                      le(csize, 4) + le(usize, 4) + le(name.size(), 2) + le(0, 2) + name + data;
  const std::string dir = "PK\x01\x02"s + le(20, 2) + le(20, 2) + le(0, 2) + le(method, 2) +
                          le(0, 4) + le(0, 4) + le(csize, 4) + le(usize, 4) + le(name.size(), 2) +
                          le(extra.size(), 2) + le(0, 2) + le(0, 2) + le(0, 2) + le(0, 4) +
                          le(0, 4) + name + extra;
  return local + dir + "PK\x05\x06"s + le(0, 4) + le(1, 2) + le(1, 2) + le(dir.size(), 4) +
         le(local.size(), 4) + le(0, 2);
}

// Review of npy_fuzz: the zip64 extra field was read for 24 bytes whatever its length
// (heap overflow at the end of the directory), a deflated entry could claim 2^64 bytes,
// (all entries together: at most 1032 times the file, as they may share stored bytes).
TEST(NpyFuzz, NpzEntriesAreBackedByTheArchive) {
  const std::string a = npy("<f4", "(1,)", "\0\0\x80\x3f"s);
  EXPECT_EQ(NpzFile(write("ok.npz", zip(a, 0, a.size(), a.size()))).get("a").array.item<float>(),
            1.0f);
  EXPECT_SP_ERROR(NpzFile(write("z64.npz", zip(a, 0, 0xffffffff, 0xffffffff, le(1, 2) + le(0, 2)))),
                  "expected a complete zip64 field for a.npy");
  EXPECT_SP_ERROR(NpzFile(write("bomb.npz", zip(a, 8, a.size(), 0xfffffff0))), "claims");
}

}  // namespace
}  // namespace sp::data

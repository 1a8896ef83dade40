// Inputs found by tests/fuzz/pth_{zip,legacy}_fuzz.cpp (docs/FUZZING.md), rebuilt here
// from pickle opcodes: each load fails with a clear sp::Error instead of a leak, a hang,
// an overflow or an out-of-bounds read.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "helpers/test_helpers.h"
#include "nn/pickle.h"
#include "nn/pth.h"

namespace sp::nn {
namespace {

using namespace std::string_literals;

std::string le(uint64_t v, int n) {
  std::string s;
  for (int k = 0; k < n; ++k) s += char(v >> (8 * k));
  return s;
}
std::string long1(int64_t v) {
  return "\x8a\x08"s + le(uint64_t(v), 8);
}  // LONG1, 8 bytes
std::string str(const std::string& s) {
  return "X" + le(s.size(), 4) + s;
}  // BINUNICODE
std::string tuple(const std::vector<int64_t>& v) {
  std::string s = "(";
  for (int64_t x : v) s += long1(x);
  return s + "t";
}

// data.pkl of torch.save(t): _rebuild_tensor_v2(storage 0 of `storage_type` x numel, 0, size,
// stride).
std::string tensor_pickle(const std::string& storage_type, int64_t numel,
                          const std::vector<int64_t>& size, const std::vector<int64_t>& stride) {
  return "\x80\x02"
         "ctorch._utils\n_rebuild_tensor_v2\n((" +
         str("storage") + "ctorch\n" + storage_type + "\n" + str("0") + str("cpu") + long1(numel) +
         "tQK\x00"s + tuple(size) + tuple(stride) + "tR.";
}

// A zip of stored entries, as torch.save writes: archive/data.pkl and archive/data/0.
std::string zip(const std::string& pkl, const std::string& storage) {
  std::string out, dir;
  uint16_t count = 0;
  for (const auto& [name, data] : {std::pair<std::string, std::string>{"archive/data.pkl", pkl},
                                   {"archive/data/0", storage}}) {
    const uint64_t local = out.size();
    out += le(0x04034b50, 4) + le(20, 2) + le(0, 2) + le(0, 2) + le(0, 4) + le(0, 4) +
           le(data.size(), 4) + le(data.size(), 4) + le(name.size(), 2) + le(0, 2) + name + data;
    dir += le(0x02014b50, 4) + le(20, 2) + le(20, 2) + le(0, 2) + le(0, 2) + le(0, 4) + le(0, 4) +
           le(data.size(), 4) + le(data.size(), 4) + le(name.size(), 2) + le(0, 2) + le(0, 2) +
           le(0, 2) + le(0, 2) + le(0, 4) + le(local, 4) + name;
    ++count;
  }
  const uint64_t at = out.size();
  return out + dir + le(0x06054b50, 4) + le(0, 2) + le(0, 2) + le(count, 2) + le(count, 2) +
         le(dir.size(), 4) + le(at, 4) + le(0, 2);
}

std::string write(const std::string& name, const std::string& bytes) {
  const std::string path = test::temp_dir("pth_fuzz") + "/" + name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

pickle::ValuePtr load_pickle(const std::string& bytes) {
  size_t pos = 0;
  return pickle::load(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), pos, {},
                      "test");
}

TEST(PthFuzz, TheZipBuilderMakesAReadableFile) {
  const auto t = load_pth(
      write("ok.pth", zip(tensor_pickle("FloatStorage", 2, {2}, {1}), std::string(8, '\0'))));
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t.begin()->second.shape(), (Shape{2}));
}

// pth_legacy_fuzz: a list appended to itself (DUP, APPEND) made a shared_ptr cycle: the
// values leaked. A list inside a tuple that is changed afterwards made the same cycle.
TEST(PthFuzz, ContainersCannotHoldThemselves) {
  EXPECT_SP_ERROR(load_pickle("\x80\x02]2a."s), "test: expected a container not to hold itself");
  // L = []; T = (L,); L.append(T)
  EXPECT_SP_ERROR(load_pickle("\x80\x02]q\x00\x85q\x01h\x00h\x01"
                              "a."s),
                  "expected a list to be filled before it is put into another container");
  // Filling before nesting, as pickle writes it, is fine: {'a': [1, 2]}
  auto v = load_pickle("\x80\x02}q\x00("s + str("a") +
                       "]q\x01(K\x01K\x02"
                       "eu.");
  ASSERT_EQ(v->items.size(), 2u);
  EXPECT_EQ(v->items[1]->items.size(), 2u);
}

// Found in review with the above: nesting 1 byte per level (push lists, APPEND them into
// each other) gave values whose destructors and readers recursed past the stack.
TEST(PthFuzz, NestingIsBounded) {
  EXPECT_SP_ERROR(load_pickle("\x80\x02"s + std::string(1002, ']') + std::string(1001, 'a') + "."),
                  "expected containers nested at most 1000 deep");
  EXPECT_NO_THROW(load_pickle("\x80\x02"s + std::string(1000, ']') + std::string(999, 'a') + "."));
}

// Found in review: sixty tuples of (previous, previous) are 120 bytes that flatten into
// 2^60 keys (a hang), through values the memo shares.
TEST(PthFuzz, SharedContainersCannotUnfoldIntoHugeTrees) {
  std::string bomb = "\x80\x02]";
  for (int k = 0; k < 60; ++k) bomb += "2\x86";
  EXPECT_SP_ERROR(load_pth(write("bomb.pth", zip(bomb + ".", ""))),
                  "expected a tree of values, got containers shared so often");
}

// Found in review: numel x 4 overflowed to the entry's 4 bytes, and 2^62 + 1 floats were
// then read from them.
TEST(PthFuzz, StorageSizesCannotOverflow) {
  const int64_t numel = (int64_t(1) << 62) + 1;
  const std::string path =
      write("overflow.pth", zip(tensor_pickle("FloatStorage", numel, {1}, {1}), "abcd"));
  EXPECT_SP_ERROR(load_pth(path), "expected 4611686018427387905 x f32 for storage 0, got 4 bytes");
}

// Found in review: (size - 1) * stride overflowed past the storage check, and a stride-0
// view of 2^40 elements over one float was 4 TB once made contiguous.
TEST(PthFuzz, ViewsStayInsideTheirStorageAndSmall) {
  const int64_t big = int64_t(1) << 62;
  EXPECT_SP_ERROR(load_pth(write("view.pth", zip(tensor_pickle("FloatStorage", 4, {2, 3}, {big, 1}),
                                                 std::string(16, '\0')))),
                  "expected a view inside its storage of 4 elements");
  EXPECT_SP_ERROR(
      load_pth(write("expand.pth", zip(tensor_pickle("FloatStorage", 1, {int64_t(1) << 40}, {0}),
                                       std::string(4, '\0')))),
      "expected a view of at most 16777216 elements over a storage of 1");
  const auto small = load_pth(
      write("expand_ok.pth", zip(tensor_pickle("FloatStorage", 1, {1000}, {0}), "\0\0\x80?"s)));
  EXPECT_EQ(small.begin()->second.contiguous().data<float>()[999], 1.0f);
}

// Found in review: a bool storage byte other than 0 or 1 is undefined behaviour when
// read as bool (tests/fuzz labels_fuzz found the same in HDF5).
TEST(PthFuzz, BoolBytesAreNormalized) {
  const auto t =
      load_pth(write("bool.pth", zip(tensor_pickle("BoolStorage", 3, {3}, {1}), "\x00\x64\x01"s)));
  const auto* b = static_cast<const uint8_t*>(t.begin()->second.data_ptr());
  EXPECT_EQ(b[0], 0);
  EXPECT_EQ(b[1], 1);
  EXPECT_EQ(b[2], 1);
}

// pth_legacy_fuzz: TUPLE1..3 took values from below the last MARK, so a later pop_mark()
// copied a range that started past the stack's end (std::length_error, not sp::Error).
TEST(PthFuzz, TuplesCannotPopAcrossAMark) {
  EXPECT_SP_ERROR(load_pickle("\x80\x02K\x01(\x85."s),
                  "test: stack underflow or a pop across a MARK at byte 5");
  EXPECT_EQ(load_pickle("\x80\x02(K\x01\x85t."s)->items.size(),
            1u);  // a tuple inside a MARK is fine
}

}  // namespace
}  // namespace sp::nn

// Shared pieces of the libFuzzer harnesses in tests/fuzz (docs/FUZZING.md).
//
// A harness is one <name>_fuzz.cpp defining LLVMFuzzerTestOneInput. It hands the input
// to a reader of outside data exactly as sp would meet it (most readers take a path, so
// the bytes go through a per-process temporary file), lets sp::Error through as the
// expected rejection of bad input, and fails on everything else: a crash, a sanitizer
// report, another exception type, a hang, or a violated property (SP_FUZZ_ASSERT).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "tensor/check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace sp::fuzz {

// This process's temporary file `<dir>/sp-fuzz-<pid>-<tag>` (dir: $SP_FUZZ_TMPDIR, else
// /dev/shm when writable, else /tmp), removed at exit unless $SP_FUZZ_KEEP is set.
std::string temp_path(std::string_view tag);
// Writes the bytes to `path` (replacing it).
void write_file(const std::string& path, const uint8_t* data, size_t size);
// write_file to temp_path(tag); returns the path.
inline std::string write_temp(std::string_view tag, const uint8_t* data, size_t size) {
  std::string path = temp_path(tag);
  write_file(path, data, size);
  return path;
}
// A per-process scratch folder (created once, removed at exit) for harnesses that need
// a small tree of files (a dataset layout).
const std::string& temp_dir();

// Whether $SP_FUZZ_VERBOSE is set: accepts() then prints every rejection.
bool verbose();

// Runs one reader call. Returns true when it returned, false when it threw sp::Error;
// any other exception escapes to libFuzzer (std::terminate) and is a finding.
template <typename F>
bool accepts(F&& f) {
  try {
    f();
    return true;
  } catch (const sp::Error& e) {
    if (verbose()) std::fprintf(stderr, "fuzz: rejected: %s\n", e.what());
    return false;
  }
}

// A property the reader broke: prints and aborts, so libFuzzer saves the input.
[[noreturn]] void fail(const char* condition, const char* file, int line);
#define SP_FUZZ_ASSERT(cond)                                  \
  do {                                                        \
    if (!(cond)) ::sp::fuzz::fail(#cond, __FILE__, __LINE__); \
  } while (0)

// Reads structured choices from the front of an input (a tiny FuzzedDataProvider that
// also builds with g++): past the end every read returns zeros.
class Input {
 public:
  Input(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  bool empty() const { return pos_ >= size_; }
  size_t left() const { return size_ - pos_; }
  uint8_t u8() { return pos_ < size_ ? data_[pos_++] : 0; }
  uint64_t bits(int bytes) {
    uint64_t v = 0;
    for (int k = 0; k < bytes; ++k) v |= uint64_t(u8()) << (8 * k);
    return v;
  }
  // A value in [0, n) (n > 0).
  size_t below(size_t n) { return size_t(n <= 256 ? u8() % n : bits(4) % n); }
  // A string of up to max_len bytes (length byte first).
  std::string text(size_t max_len) {
    size_t n = std::min<size_t>(u8() % (max_len + 1), left());
    std::string s(reinterpret_cast<const char*>(data_ + pos_), n);
    pos_ += n;
    return s;
  }
  // The next n bytes (fewer at the end).
  std::string_view take(size_t n) {
    n = std::min(n, left());
    std::string_view s(reinterpret_cast<const char*>(data_ + pos_), n);
    pos_ += n;
    return s;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

}  // namespace sp::fuzz

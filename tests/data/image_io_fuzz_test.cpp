// Inputs found by the image harnesses (tests/fuzz/{png,jpeg,pnm}_fuzz.cpp, docs/FUZZING.md),
// each rejected with a clear sp::Error.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "data/image_io.h"
#include "helpers/test_helpers.h"

namespace sp::data {
namespace {

using namespace std::string_literals;

std::string write(const std::string& name, const std::string& bytes) {
  const std::string path = test::temp_dir("image_fuzz") + "/" + name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

// png_fuzz: a 72-byte PNG whose header claims 65541 x 30350 RGBA made read_image
// allocate 7.9 GB before reading a row.
TEST(ImageIOFuzz, PngHeaderSizeIsCappedBeforeAllocating) {
  const std::string path = write(
      "huge.png",
      "\x89\x50\x4e\x47\x0d\x0a\x1a\x0a\x00\x00\x00\x0d\x49\x48\x44\x52\x00\x01\x00\x05\x00\x00\x76"
      "\x8e"
      "\x08\x06\x00\x00\x00\xed\x05\x6b\x80\x00\x00\x00\x1c\x49\x44\x41\x54\x08\x1d\x5d\xc1\xb1\x00"
      "\x09"
      "\x00\x10\x00\x02\x01\x00\x00\x00\x00\xa2\x2d\xcb\x7e\x00\x00\xff\xff\xff\xff\x00\x0e\x49\x44\x82"s);
  EXPECT_SP_ERROR(read_image(path), "read_image: expected at most 67108864 pixels in '" + path +
                                        "', got 65541 x 30350");
}

// The same cap for PPM/PGM headers (their pixels must be in the file, so this is a
// limit, not a memory hazard).
TEST(ImageIOFuzz, PnmSizeIsCapped) {
  const std::string path = write("wide.pgm", "P5 1048575 65 255 "s + std::string(16, '\0'));
  EXPECT_SP_ERROR(read_image(path), "got 1048575 x 65");
}

// pnm_fuzz: samples above maxval (here 25) decoded to values above 1; the byte after
// maxval was not whitespace either.
TEST(ImageIOFuzz, PnmSamplesAboveMaxvalAreRejected) {
  const std::string path = write("above.pgm", "P5\n3 2\n25 \xf5\xff\xef\xdf\x7f\x3f"s);
  EXPECT_SP_ERROR(read_image(path), "expected samples <= maxval 25, got 245 at sample 0");
  const std::string path16 = write("above16.pgm", "P5 1 1 1000 \x03\xe9"s);
  EXPECT_SP_ERROR(read_image(path16), "expected samples <= maxval 1000, got 1001");
  const std::string at_max = write("max.pgm", "P5 2 1 25 \x19\x00"s);
  EXPECT_FLOAT_EQ(read_image(at_max).data<float>()[0], 1.0f);
}

TEST(ImageIOFuzz, PnmNeedsWhitespaceAfterMaxval) {
  const std::string path = write(
      "nospace.pgm", "\x50\x35\x0a\x33\x20\x32\x0a\x32\x35\xd4\xf5\xff\xef\xdf\x7f\x3f\x00\x10"s);
  EXPECT_SP_ERROR(read_image(path), "expected one whitespace after maxval, got another byte");
}

}  // namespace
}  // namespace sp::data

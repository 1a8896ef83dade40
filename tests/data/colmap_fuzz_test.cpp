// Inputs of the COLMAP model harness (tests/fuzz/colmap_model_fuzz.cpp, docs/FUZZING.md)
// and of its review, each rejected with a clear sp::Error.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "data/colmap.h"
#include "helpers/test_helpers.h"

namespace sp::data {
namespace {

std::string text_model(const std::string& name, const std::string& cameras,
                       const std::string& images, const std::string& points) {
  const std::string dir = test::temp_dir("colmap_fuzz") + "/" + name;
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/cameras.txt") << cameras;
  std::ofstream(dir + "/images.txt") << images;
  std::ofstream(dir + "/points3D.txt") << points;
  return dir;
}

// Review of colmap_model_fuzz: integers were checked with v == double(int64_t(v)), a cast
// that is undefined for nan, inf and |v| >= 2^63.
TEST(ColmapFuzz, IntegersOutOfRangeAreClearErrors) {
  for (const std::string id : {"1e30", "nan", "-inf", "9223372036854775808"}) {
    const std::string dir = text_model("int", id + " PINHOLE 4 4 1 1 2 2\n", "", "");
    EXPECT_SP_ERROR(Reconstruction::read(dir), "expected an integer in ");
  }
  const std::string dir = text_model("ok", "-9223372036854775808 PINHOLE 4 4 1 1 2 2\n", "", "");
  EXPECT_EQ(Reconstruction::read(dir).cameras.begin()->first, INT64_MIN);
}

}  // namespace
}  // namespace sp::data

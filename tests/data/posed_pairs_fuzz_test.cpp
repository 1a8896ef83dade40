// Inputs of the pair-list harness (tests/fuzz/pose_pairs_fuzz.cpp, docs/FUZZING.md) and of
// its review, each rejected with a clear sp::Error.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "data/posed_pairs.h"
#include "helpers/test_helpers.h"

namespace sp::data {
namespace {

// Review of pose_pairs_fuzz: views.txt's W and H were cast to int64 unchecked, undefined
// for nan, inf and values past int64.
TEST(PosedPairsFuzz, ImageSizesAreCheckedBeforeTheCast) {
  const std::string dir = test::temp_dir("posed_fuzz");
  std::ofstream(dir + "/pairs.txt") << "a.jpg a.jpg\n";
  for (const std::string w : {"1e30", "nan", "-inf", "-1", "2.5"}) {
    std::ofstream(dir + "/views.txt")
        << "a.jpg 1 0 0 0 1 0 0 0 1 0 0 0 PINHOLE " << w << " 480 500 500 320 240\n";
    EXPECT_SP_ERROR(read_posed_images(dir), "expected an image size (an integer >= 0) in ");
  }
  std::ofstream(dir + "/views.txt") << "a.jpg 1 0 0 0 1 0 0 0 1 0 0 0 PINHOLE 640 480 500 500 "
                                       "320 240\n";
  EXPECT_EQ(read_posed_images(dir).views.at(0).width, 640);
}

}  // namespace
}  // namespace sp::data

#include "data/pictures.h"

#include <gtest/gtest.h>

#include <fstream>

#include "data/image_io.h"
#include "helpers/test_helpers.h"
#include "tensor/ops/creation.h"

namespace sp::data {
namespace {

TEST(SummaryImages, DrawsTilesAndEncodesPng) {
  Tensor gray = full({1, 12, 16}, 0.5);
  Tensor pic = draw_keypoints(gray, from_vector<float>({4.f, 5.f}, {1, 2}),
                              from_vector<float>({10.f, 6.f}, {1, 2}));
  ASSERT_EQ(pic.shape(), Shape({3, 12, 16}));
  EXPECT_FLOAT_EQ(pic.data<float>()[0 * 192 + 5 * 16 + 4], 1.0f);   // red dot
  EXPECT_FLOAT_EQ(pic.data<float>()[1 * 192 + 3 * 16 + 10], 0.9f);  // green ring above (10, 6)
  EXPECT_FLOAT_EQ(pic.data<float>()[1 * 192 + 0], 0.5f);            // background
  Tensor grid = tile({pic, pic, pic}, 2);
  EXPECT_EQ(grid.shape(), Shape({3, 26, 34}));
  std::vector<uint8_t> png = encode_png(grid);
  const std::string path = test::temp_dir("png") + "/grid.png";
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(png.data()), std::streamsize(png.size()));
  Tensor back = read_image(path);
  ASSERT_EQ(back.shape(), grid.shape());
  EXPECT_TRUE(test::all_close(back, grid, 0, 0.5 / 255 + 1e-6));
  Tensor labels = zeros({1, 4, 5});
  labels.data<float>()[2 * 5 + 3] = 1;
  EXPECT_TRUE(test::equal(label_points(labels), from_vector<float>({3.f, 2.f}, {1, 2})));
}

}  // namespace
}  // namespace sp::data

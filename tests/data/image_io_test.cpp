#include "data/image_io.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "helpers/test_helpers.h"
#include "tensor/ops/creation.h"

namespace sp::data {
namespace {

using test::all_close;

Tensor ramp(int64_t c, int64_t h, int64_t w) {
  Tensor t = empty({c, h, w});
  float* p = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = float((i * 37) % 256) / 255.0f;
  return t;
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary).write(bytes.data(), std::streamsize(bytes.size()));
}

std::string read_all_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TEST(ImageIO, PngRoundTripsGrayAndRgb) {
  std::string dir = test::temp_dir("png");
  for (int64_t c : {1, 3}) {
    Tensor img = ramp(c, 13, 17);
    std::string path = dir + "/img" + std::to_string(c) + ".png";
    write_png(path, img);
    Tensor back = read_image(path);
    EXPECT_EQ(back.shape(), img.shape());
    EXPECT_TRUE(all_close(back, img, 0, 1e-6));
  }
  write_png(dir + "/hw.png", ramp(1, 5, 6).squeeze(0));
  EXPECT_EQ(read_image(dir + "/hw.png").shape(), (Shape{1, 5, 6}));
}

TEST(ImageIO, PpmRoundTripsAndParsesComments16Bit) {
  std::string dir = test::temp_dir("ppm");
  Tensor img = ramp(3, 7, 9);
  write_ppm(dir + "/a.ppm", img);
  EXPECT_TRUE(all_close(read_image(dir + "/a.ppm"), img, 0, 1e-6));
  write_ppm(dir + "/g.pgm", ramp(1, 4, 3));
  EXPECT_TRUE(all_close(read_image(dir + "/g.pgm"), ramp(1, 4, 3), 0, 1e-6));
  // 16-bit PGM with comments: big-endian samples over maxval 65535.
  std::string bytes = "P5\n# a comment\n2 1 # width height\n65535\n";
  bytes += std::string("\xFF\xFF\x80\x00", 4);
  write_bytes(dir + "/b.pgm", bytes);
  Tensor t = read_image(dir + "/b.pgm");
  EXPECT_EQ(t.shape(), (Shape{1, 1, 2}));
  EXPECT_FLOAT_EQ(t.data<float>()[0], 1.0f);
  EXPECT_NEAR(t.data<float>()[1], 32768.0 / 65535.0, 1e-7);
}

TEST(ImageIO, JpegDecodesARedRamp) {
  // The fixture (written by cv2) is a horizontal red ramp: R grows left to right, G and B stay near
  // 0.
  Tensor j = read_image(test::fixture_path("data_small.jpg"));
  ASSERT_EQ(j.shape(), (Shape{3, 24, 32}));
  const float* p = j.data<float>();
  EXPECT_LT(p[10 * 32 + 2] + 0.5f, p[10 * 32 + 29]);
  EXPECT_LT(std::abs(p[24 * 32 + 10 * 32 + 16]), 0.1f);
  EXPECT_LT(std::abs(p[2 * 24 * 32 + 10 * 32 + 16]), 0.1f);
  Tensor g = read_image(test::fixture_path("data_small.jpg"), true);
  EXPECT_EQ(g.shape(), (Shape{1, 24, 32}));
  EXPECT_NEAR(g.data<float>()[10 * 32 + 29], 0.299f * p[10 * 32 + 29], 0.02);
}

TEST(ImageIO, Reads16BitAndRgbaPngFromFixture) {
  Tensor p16 = read_image(test::fixture_path("data_16bit.png"));
  EXPECT_EQ(p16.shape(), (Shape{1, 4, 5}));
  EXPECT_NEAR(p16.data<float>()[19], 1.0, 1e-7);
  EXPECT_NEAR(p16.data<float>()[1], 1000.0 / 65535.0, 1e-7);
  Tensor rgba = read_image(test::fixture_path("data_rgba.png"));
  EXPECT_EQ(rgba.shape(), (Shape{3, 4, 5}));
}

TEST(ImageIO, ErrorsNameFileAndReason) {
  std::string dir = test::temp_dir("err");
  EXPECT_SP_ERROR(read_image(dir + "/missing.png"), "missing.png");
  write_bytes(dir + "/bad.bin", "GIF89a and some more bytes");
  EXPECT_SP_ERROR(read_image(dir + "/bad.bin"), "unsupported format in '" + dir + "/bad.bin'");
  write_png(dir + "/ok.png", ramp(3, 40, 50));
  std::string png = read_all_bytes(dir + "/ok.png");
  write_bytes(dir + "/trunc.png", png.substr(0, png.size() / 2));
  EXPECT_SP_ERROR(read_image(dir + "/trunc.png"), "trunc.png");
  write_ppm(dir + "/ok.ppm", ramp(3, 10, 10));
  std::string ppm = read_all_bytes(dir + "/ok.ppm");
  write_bytes(dir + "/trunc.ppm", ppm.substr(0, ppm.size() - 5));
  EXPECT_SP_ERROR(read_image(dir + "/trunc.ppm"), "truncated PNM");
  write_bytes(dir + "/maxval.pgm", "P5 2 2 70000\n12345678");
  EXPECT_SP_ERROR(read_image(dir + "/maxval.pgm"), "maxval");
  std::string jpg = read_all_bytes(test::fixture_path("data_small.jpg"));
  write_bytes(dir + "/trunc.jpg", jpg.substr(0, jpg.size() / 3));
  EXPECT_SP_ERROR(read_image(dir + "/trunc.jpg"), "trunc.jpg");
  EXPECT_SP_ERROR(write_png(dir + "/x.png", zeros({2, 3, 3})), "1 or 3 channels");
}

TEST(ImageIO, GrayAndResizeMatchOpenCV) {
  auto f = test::load_fixture("data_image.h5");
  EXPECT_TRUE(all_close(rgb_to_gray(f.at("rgb")), f.at("gray"), 1e-5, 1e-6));
  Tensor gray = f.at("rgb").select(0, 0).contiguous();
  for (const auto& [name, expected] : f) {
    bool linear = name.rfind("linear_", 0) == 0, area = name.rfind("area_", 0) == 0;
    if (!linear && !area) continue;
    Tensor got =
        resize(gray, expected.size(0), expected.size(1), linear ? Interp::Linear : Interp::Area);
    EXPECT_TRUE(all_close(got, expected, 1e-5, 2e-6)) << name;
  }
  EXPECT_SP_ERROR(resize(gray, 0, 3), "positive output size");
}

}  // namespace
}  // namespace sp::data

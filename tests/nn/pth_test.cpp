#include "nn/pth.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "helpers/test_helpers.h"

namespace sp::nn {
namespace {

using test::equal;

PthOptions options(std::string select, std::string strip = "") {
  PthOptions o;
  o.select = std::move(select);
  o.strip_prefix = std::move(strip);
  return o;
}

std::map<std::string, Tensor> expected(const std::string& group) {
  std::map<std::string, Tensor> out;
  for (auto& [k, v] : test::load_fixture("nn_pth.h5"))
    if (k.rfind(group + "/", 0) == 0) out[k.substr(group.size() + 1)] = v;
  return out;
}

void expect_state_dict(const std::map<std::string, Tensor>& got) {
  auto want = expected("state_dict");
  ASSERT_EQ(got.size(), want.size());
  for (auto& [k, v] : want) {
    ASSERT_TRUE(got.count(k)) << k;
    EXPECT_TRUE(equal(got.at(k), v)) << k;
  }
  EXPECT_EQ(got.at("bn1.num_batches_tracked").dtype(), DType::I64);
  EXPECT_EQ(got.at("bn1.num_batches_tracked").item<int64_t>(), 3);
  EXPECT_EQ(got.at("conv1.weight").shape(), (Shape{4, 3, 3, 3}));
}

TEST(Pth, ReadsZipStateDict) {
  expect_state_dict(load_pth(test::fixture_path("nn_pth_zip.pth")));
}

TEST(Pth, ReadsLegacyStateDict) {
  expect_state_dict(load_pth(test::fixture_path("nn_pth_legacy.pth")));
}

TEST(Pth, NestedDictsFlattenAndViewsShareStorage) {
  for (const char* file : {"nn_pth_nested_zip.pth", "nn_pth_nested_legacy.pth"}) {
    SCOPED_TRACE(file);
    auto all = load_pth(test::fixture_path(file));
    EXPECT_TRUE(all.count("state_dict.bn1.running_var"));
    EXPECT_FALSE(all.count("epoch"));  // ints are skipped
    expect_state_dict(load_pth(test::fixture_path(file), options("state_dict")));

    auto extra = load_pth(test::fixture_path(file), options("extra"));
    for (auto& [k, v] : expected("extra")) EXPECT_TRUE(equal(extra.at(k), v)) << k;
    const Tensor& t = extra.at("base_t");
    EXPECT_TRUE(t.shares_storage(extra.at("base")));
    EXPECT_TRUE(extra.at("base_slice").shares_storage(extra.at("base")));
    EXPECT_EQ(t.strides(), (Strides{1, 6}));
    EXPECT_EQ(extra.at("base_slice").offset(), 8);
    EXPECT_EQ(extra.at("half").dtype(), DType::F16);
    EXPECT_EQ(extra.at("mask").dtype(), DType::Bool);
    EXPECT_EQ(extra.at("scalar").dim(), 0);
  }
}

TEST(Pth, StripPrefixAndMissingSelection) {
  auto sd = load_pth(test::fixture_path("nn_pth_nested_zip.pth"), options("state_dict", "bn1."));
  EXPECT_TRUE(sd.count("running_mean"));
  EXPECT_SP_ERROR(load_pth(test::fixture_path("nn_pth_zip.pth"), options("model_state_dict")),
                  "expected tensors under 'model_state_dict'");
}

std::string write_bytes(const std::string& name, const std::string& bytes) {
  std::string path = test::temp_dir("pth") + "/" + name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(Pth, ErrorsNameTheFileAndTheProblem) {
  EXPECT_SP_ERROR(load_pth("/nonexistent/x.pth"), "/nonexistent/x.pth");
  std::string foreign = write_bytes("foreign.pth", "hello world");
  EXPECT_SP_ERROR(load_pth(foreign), "pth: expected a zip or legacy torch.save file at " + foreign);
  for (const char* file : {"nn_pth_zip.pth", "nn_pth_legacy.pth"}) {
    std::string bytes = read_bytes(test::fixture_path(file));
    std::string cut =
        write_bytes(std::string("cut_") + file, bytes.substr(0, bytes.size() * 2 / 3));
    EXPECT_SP_ERROR(load_pth(cut), cut);
    EXPECT_SP_ERROR(load_pth(cut), "truncated");
  }
}

}  // namespace
}  // namespace sp::nn

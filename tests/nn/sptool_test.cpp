// apps/sptool run as a process (skipped when the executable is not built), and the
// .pth.tar weight loading it shares with nn::load_weights.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "helpers/test_helpers.h"
#include "nn/checkpoint.h"
#include "nn/pth.h"

namespace sp::nn {
namespace {

const std::string kTool = SP_BINARY_DIR "/apps/sptool";

// Runs sptool with `args`; returns the exit status and fills `output` (stdout + stderr).
int run_tool(const std::string& args, std::string* output) {
  const std::string log = test::temp_dir("sptool_log") + "/out.txt";
  int status = std::system((kTool + " " + args + " > " + log + " 2>&1").c_str());
  std::ifstream in(log);
  std::stringstream text;
  text << in.rdbuf();
  *output = text.str();
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void expect_same(const TensorMap& got, const TensorMap& want) {
  ASSERT_EQ(got.size(), want.size());
  for (auto& [k, v] : want) {
    ASSERT_TRUE(got.count(k)) << k;
    EXPECT_TRUE(test::equal(got.at(k), v.contiguous())) << k;
  }
}

TEST(Sptool, ConvertsPthAndCheckpointAndReloads) {
  if (!std::filesystem::exists(kTool)) GTEST_SKIP() << "sptool not built (" << kTool << ")";
  const std::string dir = test::temp_dir("sptool");
  std::string out;
  // Plain state_dict (zip format).
  const std::string pth = test::fixture_path("nn_pth_zip.pth");
  ASSERT_EQ(run_tool("convert " + pth + " " + dir + "/a.h5", &out), 0) << out;
  EXPECT_NE(out.find("wrote 9 tensors"), std::string::npos) << out;
  expect_same(load_state_dict_file(dir + "/a.h5"), load_pth(pth));
  // [PS] training checkpoint: model_state_dict picked without --select.
  const std::string tar = test::fixture_path("models_superpoint_tiny_bn.pth.tar");
  ASSERT_EQ(run_tool("convert " + tar + " " + dir + "/b.h5", &out), 0) << out;
  TensorMap b = load_state_dict_file(dir + "/b.h5");
  expect_same(b, load_pth(tar, {.select = "model_state_dict", .strip_prefix = ""}));
  // Nested legacy file with an explicit select.
  const std::string nested = test::fixture_path("nn_pth_nested_legacy.pth");
  ASSERT_EQ(run_tool("convert " + nested + " " + dir + "/c.h5 --select state_dict", &out), 0)
      << out;
  expect_same(load_state_dict_file(dir + "/c.h5"), load_pth(pth));

  ASSERT_EQ(run_tool("inspect " + dir + "/a.h5", &out), 0) << out;
  EXPECT_NE(out.find("conv1.weight"), std::string::npos) << out;
  EXPECT_NE(out.find("[4, 3, 3, 3]"), std::string::npos) << out;
  ASSERT_EQ(run_tool("inspect " + tar, &out), 0) << out;
  EXPECT_NE(out.find("model_state_dict.inc.conv.conv.0.weight"), std::string::npos) << out;
}

TEST(Sptool, ErrorsAreClearAndLeaveNoOutput) {
  if (!std::filesystem::exists(kTool)) GTEST_SKIP() << "sptool not built (" << kTool << ")";
  const std::string dir = test::temp_dir("sptool_err");
  std::string out;
  EXPECT_EQ(run_tool("convert " + dir + "/missing.pth " + dir + "/x.h5", &out), 1);
  EXPECT_NE(out.find("missing.pth"), std::string::npos) << out;
  const std::string tar = test::fixture_path("models_superpoint_tiny_bn.pth.tar");
  EXPECT_EQ(run_tool("convert " + tar + " " + dir + "/x.h5 --select nope", &out), 1);
  EXPECT_NE(out.find("top-level keys: model_state_dict"), std::string::npos) << out;
  const std::string h5 = test::fixture_path("nn_layers.h5");
  EXPECT_EQ(run_tool("convert " + h5 + " " + dir + "/x.h5", &out), 1);
  EXPECT_NE(out.find("expected a torch.save file"), std::string::npos) << out;
  {
    std::ofstream junk(dir + "/junk.pth");
    junk << "not a pickle at all";
  }
  EXPECT_EQ(run_tool("convert " + dir + "/junk.pth " + dir + "/x.h5", &out), 1);
  EXPECT_NE(out.find("expected a zip or legacy torch.save file"), std::string::npos) << out;
  EXPECT_FALSE(std::filesystem::exists(dir + "/x.h5"));
  EXPECT_NE(run_tool("frobnicate", &out), 0);
}

TEST(Sptool, LoadPthWeightsUnwrapsCheckpoints) {
  const std::string tar = test::fixture_path("models_superpoint_tiny_bn.pth.tar");
  TensorMap w = load_pth_weights(tar);
  EXPECT_FALSE(w.empty());
  for (auto& [k, v] : w) EXPECT_EQ(k.find("optimizer"), std::string::npos) << k;
  expect_same(w, load_pth(tar, {.select = "model_state_dict", .strip_prefix = ""}));
  for (auto& [k, v] : load_pth_weights(tar, {.select = "", .strip_prefix = "inc."}))
    EXPECT_NE(k.rfind("inc.", 0), 0u) << k;
  EXPECT_TRUE(is_hdf5_file(test::fixture_path("nn_layers.h5")));
  EXPECT_FALSE(is_hdf5_file(tar));
  EXPECT_FALSE(is_hdf5_file("/nonexistent/file.h5"));
}

}  // namespace
}  // namespace sp::nn

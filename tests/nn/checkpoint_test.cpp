#include "nn/checkpoint.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "helpers/test_helpers.h"
#include "tensor/io/hdf5.h"
#include "tensor/ops/creation.h"

namespace sp::nn {
namespace {

using test::equal;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

Checkpoint sample() {
  Checkpoint c;
  c.parameters["conv1a.weight"] = arange(0.0, 54.0, 1.0, DType::F32).reshape({2, 3, 3, 3});
  c.parameters["conv1a.bias"] = from_vector<float>({0.5f, -1.5f});
  c.buffers["bn1.running_mean"] = from_vector<float>({0.1f, 0.2f});
  c.buffers["bn1.num_batches_tracked"] = scalar_tensor(7, DType::I64);
  c.buffers["mask"] = from_vector<bool>({true, false, true});
  c.optimizer["state.0.exp_avg"] =
      arange(0.0, 6.0, 1.0, DType::F64).reshape({2, 3}).t();  // non-contiguous
  c.optimizer["param_groups.0.lr"] = scalar_tensor(1e-3, DType::F64);
  c.step = 12345;
  c.rng_seed = 0xFEDCBA9876543210ull;  // above INT64_MAX: must survive the signed attribute
  c.rng_offset = 42;
  c.config = "[train]\nlr = 0.001\nname = \"magic point\"\n";
  return c;
}

TEST(Checkpoint, RoundTripsEverything) {
  std::string path = test::temp_dir("ckpt") + "/last.h5";
  Checkpoint c = sample();
  save_checkpoint(path, c);
  Checkpoint r = load_checkpoint(path);
  EXPECT_EQ(r.step, c.step);
  EXPECT_EQ(r.rng_seed, c.rng_seed);
  EXPECT_EQ(r.rng_offset, c.rng_offset);
  EXPECT_EQ(r.config, c.config);
  for (auto [got, want] : {std::pair{&r.parameters, &c.parameters},
                           {&r.buffers, &c.buffers},
                           {&r.optimizer, &c.optimizer}}) {
    ASSERT_EQ(got->size(), want->size());
    for (auto& [k, v] : *want) EXPECT_TRUE(equal(got->at(k), v.contiguous())) << k;
  }
  // A checkpoint also serves as a state_dict (parameters + buffers).
  auto sd = load_state_dict_file(path);
  EXPECT_EQ(sd.size(), 5u);
  EXPECT_TRUE(sd.count("bn1.num_batches_tracked"));
}

TEST(Checkpoint, ForeignOrTruncatedFilesFailAndChangeNothing) {
  std::string dir = test::temp_dir("ckpt");
  std::string good = dir + "/good.h5";
  save_checkpoint(good, sample());
  std::string bytes = slurp(good);

  std::string cut = dir + "/cut.h5";
  std::ofstream(cut, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  EXPECT_SP_ERROR(load_checkpoint(cut), cut);

  std::string text = dir + "/text.h5";
  std::ofstream(text) << "not hdf5";
  EXPECT_SP_ERROR(load_checkpoint(text), "expected an HDF5 file at " + text);

  std::string foreign = dir + "/foreign.h5";
  {
    io::H5File f(foreign, io::H5File::Mode::Truncate);
    f.write("weights", zeros({2}));
  }
  EXPECT_SP_ERROR(load_checkpoint(foreign),
                  "expected an sp checkpoint or state_dict at " + foreign);
  save_state_dict_file(foreign, {{"w", zeros({2})}});
  EXPECT_SP_ERROR(load_checkpoint(foreign), "got a plain state_dict");

  // A failing save leaves the previous checkpoint untouched.
  Checkpoint bad = sample();
  bad.parameters["broken/key"] = zeros({1});
  EXPECT_SP_ERROR(save_checkpoint(good, bad), "broken/key");
  EXPECT_EQ(slurp(good), bytes);
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    EXPECT_EQ(entry.path().filename().string().find("tmp"), std::string::npos) << entry.path();
}

TEST(Checkpoint, ConvertsPthToStateDictFile) {
  std::string out = test::temp_dir("ckpt") + "/from_pth.h5";
  PthOptions options;
  options.select = "state_dict";
  EXPECT_EQ(convert_pth(test::fixture_path("nn_pth_nested_legacy.pth"), out, options), 9u);
  auto got = load_state_dict_file(out);
  auto want = load_pth(test::fixture_path("nn_pth_zip.pth"));
  ASSERT_EQ(got.size(), want.size());
  for (auto& [k, v] : want) EXPECT_TRUE(equal(got.at(k), v)) << k;
}

}  // namespace
}  // namespace sp::nn

// HPatches prediction files (one group <sequence>/<k> per image with keypoints, scores
// and descriptors; eval/hpatches_benchmark.cpp), graded by run_hpatches on a tiny
// HPatches layout of one sequence, as `speval --predictions FILE` does.
//
// Input: an HDF5 file, raw or built from a recipe (h5_recipe.h).
#include <filesystem>
#include <fstream>

#include "data/image_io.h"
#include "eval/hpatches_benchmark.h"
#include "fuzz_util.h"
#include "h5_recipe.h"
#include "tensor/ops/creation.h"

namespace {

using namespace sp;
namespace fs = std::filesystem;

const fuzz::H5Vocabulary& vocabulary() {
  static const fuzz::H5Vocabulary v = [] {
    fuzz::H5Vocabulary v;
    for (int k = 1; k <= 6; ++k)
      for (const char* key : {"keypoints", "scores", "descriptors"})
        v.names.push_back("i_a/" + std::to_string(k) + "/" + key);
    v.names.push_back("i_a/1");
    v.names.push_back("i_a");
    v.attrs = {"processing_width", "processing_height", "sp_dtype"};
    v.strings = {"f16", "bool", "f64"};
    return v;
  }();
  return v;
}

// <tmp>/hpatches/i_a/{1..6}.ppm (12 x 16 RGB) and H_1_k (the identity).
std::string make_dataset() {
  const std::string root = fuzz::temp_dir() + "/hpatches";
  fs::create_directories(root + "/i_a");
  for (int k = 1; k <= 6; ++k) {
    data::write_ppm(root + "/i_a/" + std::to_string(k) + ".ppm", full({3, 12, 16}, 0.1 * k));
    if (k > 1) std::ofstream(root + "/i_a/H_1_" + std::to_string(k)) << "1 0 0\n0 1 0\n0 0 1\n";
  }
  return root;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string root = make_dataset();
  static const std::string predictions = fuzz::temp_path("predictions.h5");
  fuzz::make_h5(data, size, vocabulary(), predictions);
  eval::HPatchesOptions options;
  options.data_dir = root;
  options.predictions = predictions;
  options.matching_score = options.nn_map = true;
  options.top_k = 50;
  eval::HPatchesReport report;
  if (fuzz::accepts([&] { report = eval::run_hpatches(options); })) {
    SP_FUZZ_ASSERT(report.pairs.size() == 5);
    fuzz::accepts([&] { eval::report_json(report, options); });
  }
  return 0;
}

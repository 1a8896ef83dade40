// LightGlue with the official DISK weights (../shared/weights/disk_lightglue.pth). Skips
// when ../shared (or $SP_SHARED_DIR) lacks them.
//
// LightGlueOfficial.Parity compares sp with the reference on the DISK features of the
// HPatches-4 pairs (1, k) that tests/reference/lightglue_official.py wrote into the file
// named by $SP_LIGHTGLUE_REFERENCE (scripts/lightglue-parity.sh), adaptive (0.95 / 0.99)
// and full (-1 / -1), CPU f32: the same stopping layer, the same pruned sets (prune
// counts per point), matches identical on >= 99% of the keypoints and the scores of
// points both match within 1e-4 (SP_LIGHTGLUE_EXPLICIT=1: the explicit self-attention) or
// 2.5e-4 (the fused kernel). It prints one table row per pair and mode, and with
// float64 reference runs in the file their comparison (docs/LIGHTGLUE.md).
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <set>

#include "autograd/grad_mode.h"
#include "helpers/test_helpers.h"
#include "models/lightglue.h"
#include "tensor/io/hdf5.h"
#include "tensor/ops/creation.h"

namespace fs = std::filesystem;

namespace sp::models {
namespace {

fs::path weights_path() {
  const char* env = std::getenv("SP_SHARED_DIR");
  const fs::path shared = env ? fs::path(env) : fs::path(SP_SOURCE_DIR) / ".." / "shared";
  return shared / "weights" / "disk_lightglue.pth";
}

bool explicit_attention() {
  const char* e = std::getenv("SP_LIGHTGLUE_EXPLICIT");
  return e != nullptr && std::string(e) == "1";
}

std::shared_ptr<LightGlue> official(double depth, double width) {
  LightGlueConfig c;
  c.depth_confidence = depth;
  c.width_confidence = width;
  // SP_LIGHTGLUE_EXPLICIT=1: the explicit self-attention (docs/LIGHTGLUE.md).
  c.explicit_self_attention = explicit_attention();
  c = LightGlueConfig::from_weights(weights_path().string(), c);
  auto lg = std::make_shared<LightGlue>(c);
  lg->load_pretrained(weights_path().string());
  lg->eval();
  return lg;
}

TEST(LightGlueOfficial, LoadsTheDiskWeights) {
  if (!fs::exists(weights_path())) GTEST_SKIP() << "no " << weights_path();
  auto lg = official(0.95, 0.99);
  EXPECT_EQ(lg->config().input_dim, 128);
  EXPECT_EQ(lg->config().descriptor_dim, 256);
  EXPECT_EQ(lg->config().n_layers, 9);
  EXPECT_EQ(lg->config().num_heads, 4);
  int64_t count = 0;
  for (const auto& [name, p] : lg->named_parameters()) count += p.numel();
  EXPECT_EQ(count, 11884625);  // matchers.md Corrections 7
  // 256-D descriptors (SuperPoint's) are refused by these weights.
  features::ImageFeatures f{zeros({3, 2}), zeros({3}), zeros({3, 256}), 64, 48};
  EXPECT_SP_ERROR(lg->match(features::pad({f}), features::pad({f})), "input_dim");
}

features::Features view(const std::map<std::string, Tensor>& ref, const std::string& g,
                        const std::string& v) {
  features::ImageFeatures f;
  f.keypoints = ref.at(g + "/keypoints" + v).contiguous();
  f.descriptors = ref.at(g + "/descriptors" + v).contiguous();
  f.scores = zeros({f.keypoints.size(0)});
  features::Features b = features::pad({f});
  b.image_size = ref.at(g + "/image_size" + v).to(DType::F32).view({1, 2});
  return b;
}

features::Features to_f64(features::Features f) {
  f.keypoints = f.keypoints.to(DType::F64);
  f.descriptors = f.descriptors.to(DType::F64);
  f.image_size = f.image_size.to(DType::F64);
  return f;
}

TEST(LightGlueOfficial, Parity) {
  const char* reference = std::getenv("SP_LIGHTGLUE_REFERENCE");
  if (!reference || !fs::exists(weights_path()))
    GTEST_SKIP() << "set SP_LIGHTGLUE_REFERENCE (scripts/lightglue-parity.sh)";
  const std::map<std::string, Tensor> ref = io::read_all(reference);
  std::set<std::string> pairs;
  const char* only = std::getenv("SP_LIGHTGLUE_PAIRS");  // a substring of the pair names
  for (const auto& [key, t] : ref) {
    const std::string pair = key.substr(0, key.find('/', key.find('/') + 1));
    if (!only || pair.find(only) != std::string::npos) pairs.insert(pair);
  }
  ASSERT_FALSE(pairs.empty());
  std::map<std::string, std::shared_ptr<LightGlue>> models = {{"adaptive", official(0.95, 0.99)},
                                                              {"full", official(-1, -1)}};
  ag::NoGradGuard no_grad;
  std::printf(
      "| pair | mode | keypoints | stop ref / sp | pruned points differing | "
      "matches ref / sp | identical | max score diff | ref s | sp s |\n");
  for (const std::string& g : pairs) {
    const features::Features f0 = view(ref, g, "0"), f1 = view(ref, g, "1");
    for (const auto& [mode, lg] : models) {
      const std::string r = g + "/" + mode + "/";
      const auto t0 = std::chrono::steady_clock::now();
      const LightGlueOutput out = lg->infer(f0, f1);
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      const int64_t ref_stop = ref.at(r + "stop").to(DType::I64).item<int64_t>();
      EXPECT_EQ(out.stop, ref_stop) << g << " " << mode;
      int64_t prune_diff = 0, same = 0, total = 0, ref_matches = 0, sp_matches = 0;
      double score_diff = 0;
      for (const char* v : {"0", "1"}) {
        const std::vector<int64_t> rp = ref.at(r + "prune" + v).to(DType::I64).to_vector<int64_t>();
        const std::vector<int64_t> sp =
            (v[0] == '0' ? out.prune0 : out.prune1).to_vector<int64_t>();
        const std::vector<int64_t> rm =
            ref.at(r + "matches" + v).to(DType::I64).to_vector<int64_t>();
        const std::vector<int64_t> sm =
            (v[0] == '0' ? out.matches.matches0 : out.matches.matches1).to_vector<int64_t>();
        const std::vector<float> rs =
            ref.at(r + "matching_scores" + v).to(DType::F32).to_vector<float>();
        const std::vector<float> ss =
            (v[0] == '0' ? out.matches.matching_scores0 : out.matches.matching_scores1)
                .to_vector<float>();
        ASSERT_EQ(rm.size(), sm.size());
        for (size_t i = 0; i < rm.size(); ++i) {
          prune_diff += rp[i] != sp[i];
          same += rm[i] == sm[i];
          ++total;
          if (v[0] == '0') ref_matches += rm[i] >= 0, sp_matches += sm[i] >= 0;
          if (rm[i] >= 0 && rm[i] == sm[i])
            score_diff = std::max(score_diff, std::abs(double(rs[i]) - double(ss[i])));
        }
      }
      const double identical = total > 0 ? double(same) / double(total) : 1.0;
      EXPECT_EQ(prune_diff, 0) << g << " " << mode;
      EXPECT_GE(identical, 0.99) << g << " " << mode;
      // 1e-4 holds with the explicit self-attention; the fused kernel's f32 online softmax
      // drifts further from float64 than PyTorch's (measured up to 1.8e-4 against the
      // reference after 9 layers, while sp in float64 agrees with the reference's float64
      // run to 3e-8: docs/LIGHTGLUE.md), hence 2.5e-4 there.
      EXPECT_LE(score_diff, explicit_attention() ? 1e-4 : 2.5e-4) << g << " " << mode;
      // With a float64 run of the reference (lightglue_official.py --f64): how far each
      // f32 run's scores are from it, over the points all three match alike; and sp in
      // float64 against it.
      if (ref.count(g + "/" + mode + "_f64/stop")) {
        const std::string r64 = g + "/" + mode + "_f64/";
        lg->to(DType::F64);
        const LightGlueOutput o64 = lg->infer(to_f64(f0), to_f64(f1));
        lg->to(DType::F32);
        const std::vector<int64_t> rm = ref.at(r + "matches0").to(DType::I64).to_vector<int64_t>();
        const std::vector<int64_t> m64 =
            ref.at(r64 + "matches0").to(DType::I64).to_vector<int64_t>();
        const std::vector<int64_t> sm = out.matches.matches0.to_vector<int64_t>();
        const std::vector<float> rs =
            ref.at(r + "matching_scores0").to(DType::F32).to_vector<float>();
        const std::vector<double> s64 =
            ref.at(r64 + "matching_scores0").to(DType::F64).to_vector<double>();
        const std::vector<float> ss = out.matches.matching_scores0.to_vector<float>();
        const std::vector<float> sp64 = o64.matches.matching_scores0.to_vector<float>();
        double ref_err = 0, sp_err = 0, sp64_err = 0;
        for (size_t i = 0; i < rm.size(); ++i)
          if (rm[i] >= 0 && rm[i] == m64[i] && sm[i] == m64[i]) {
            ref_err = std::max(ref_err, std::abs(double(rs[i]) - s64[i]));
            sp_err = std::max(sp_err, std::abs(double(ss[i]) - s64[i]));
            sp64_err = std::max(sp64_err, std::abs(double(sp64[i]) - s64[i]));
          }
        EXPECT_EQ(o64.stop, ref.at(r64 + "stop").to(DType::I64).item<int64_t>());
        EXPECT_TRUE(test::equal(o64.matches.matches0.select(0, 0), ref.at(r64 + "matches0")));
        EXPECT_LE(sp64_err, 1e-6) << g << " " << mode;
        std::printf(
            "F64 | %s | %s | ref f32 - ref f64: %.1e | sp f32 - ref f64: %.1e | "
            "sp f64 - ref f64: %.1e |\n",
            g.c_str(), mode.c_str(), ref_err, sp_err, sp64_err);
      }
      std::printf(
          "| %s | %s | %lld x %lld | %lld / %lld | %lld | %lld / %lld | %.2f%% | %.1e | "
          "%.2f | %.2f |\n",
          g.c_str(), mode.c_str(), (long long)f0.max_keypoints(), (long long)f1.max_keypoints(),
          (long long)ref_stop, (long long)out.stop, (long long)prune_diff, (long long)ref_matches,
          (long long)sp_matches, 100.0 * identical, score_diff,
          ref.at(r + "seconds").to(DType::F64).item<double>(), seconds);
      std::fflush(stdout);
    }
  }
}

}  // namespace
}  // namespace sp::models

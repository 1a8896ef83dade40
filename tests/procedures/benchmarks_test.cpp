// Benchmarks of a model during training (procedures/benchmarks.h): the [benchmarks.*]
// tables, strictly read, and a pose benchmark run on a two-view pipeline over the
// posed-images fixture (MegaDepth-1500's layout).
#include "procedures/benchmarks.h"

#include <gtest/gtest.h>

#include "helpers/test_helpers.h"
#include "models/two_view_pipeline.h"
#include "tensor/ops/random.h"

namespace sp::procedures {
namespace {

std::string moto_scene() {
  return test::fixture_path("two_view_scenes/megadepth/Undistorted_SfM/moto");
}

TEST(Benchmarks, ReadsTablesStrictly) {
  const train::Config config = train::Config::from_string(
      "[train]\nlr = 0.1\n[benchmarks.pose]\nkind = \"pose\"\npairs = \"p.txt\"\n"
      "resize = \"long\"\nresize_size = 320\nransac_threshold = [0.5, 1.0]\n"
      "estimator = \"lo-ransac\"\nmax_pairs = 7\n"
      "[benchmarks.hp]\nkind = \"hpatches\"\ndata_dir = \"d\"\nsize = [120, 160]\n");
  const std::vector<BenchmarkSpec> specs = read_benchmarks(config);
  ASSERT_EQ(specs.size(), 2u);
  const BenchmarkSpec& hp = specs[0].name == "hp" ? specs[0] : specs[1];
  const BenchmarkSpec& pose = specs[0].name == "pose" ? specs[0] : specs[1];
  EXPECT_EQ(hp.kind, "hpatches");
  EXPECT_EQ(hp.hpatches.data_dir, "d");
  EXPECT_EQ(hp.hpatches_size[1], 160);
  EXPECT_EQ(pose.pose.pairs, "p.txt");
  EXPECT_EQ(pose.pose.resize.mode, "long");
  EXPECT_EQ(pose.pose.resize.size, 320);
  EXPECT_EQ(pose.pose.eval.ransac_thresholds, (std::vector<double>{0.5, 1.0}));
  EXPECT_EQ(pose.pose.eval.estimator, geometry::PoseEstimator::LoRansac);
  EXPECT_EQ(pose.pose.max_pairs, 7);

  EXPECT_SP_ERROR(read_benchmarks(train::Config::from_string(
                      "[benchmarks.x]\nkind = \"pose\"\npairs = \"p\"\nmax_pair = 3\n")),
                  "max_pair");
  EXPECT_SP_ERROR(
      read_benchmarks(train::Config::from_string("[benchmarks.x]\nkind = \"scannet\"\n")),
      "kind hpatches or pose, got 'scannet'");
  EXPECT_SP_ERROR(benchmark_hook(train::Config::from_string("[train]\nlr = 0.1\n")),
                  "expected [benchmarks.<name>]");
}

TEST(Benchmarks, PoseBenchmarkOfAPipelineOnPosedImages) {
  models::MapConfig mc({{"extractor.name", "superpoint"},
                        {"extractor.width", "0.25"},
                        {"extractor.descriptor_dim", "16"},
                        {"extractor.detection_threshold", "0.0"},
                        {"extractor.top_k", "64"},
                        {"matcher.name", "nearest_neighbor"},
                        {"matcher.mutual", "true"},
                        {"ground_truth.name", "depth"}});
  manual_seed(2);
  auto model = models::TwoViewPipeline::from(mc);
  model->eval();
  BenchmarkSpec spec;
  spec.name = "moto";
  spec.kind = "pose";
  spec.pose.pairs = moto_scene();
  spec.pose.resize.mode = "long";
  spec.pose.resize.size = 160;
  const std::map<std::string, double> r = run_benchmark(*model, spec);
  // Three pairs graded (views without depth: the ground truth labels nothing, the
  // benchmark only needs matches); every key carries the benchmark's name.
  EXPECT_EQ(r.at("moto/num_pairs"), 3);
  EXPECT_EQ(r.at("moto/num_skipped"), 0);
  for (const char* k : {"moto/pose_auc_5", "moto/pose_auc_10", "moto/pose_auc_20"}) {
    ASSERT_TRUE(r.count(k)) << k;
    EXPECT_GE(r.at(k), 0.0);
    EXPECT_LE(r.at(k), 1.0);
  }
  spec.pose.max_pairs = 1;
  EXPECT_EQ(run_benchmark(*model, spec).at("moto/num_pairs"), 1);
}

}  // namespace
}  // namespace sp::procedures

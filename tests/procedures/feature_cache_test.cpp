// Feature caching (procedures/feature_export.h): an extractor's features of a MegaDepth
// scene exported to one HDF5 file that records its extractor, then read back by the
// dataset instead of images, giving the trainable two-view pipeline (dual-softmax matcher,
// depth ground truth) the same predictions and loss as the extractor run live.
#include <gtest/gtest.h>

#include <cmath>

#include "autograd/var.h"
#include "data/loader.h"
#include "data/megadepth.h"
#include "helpers/test_helpers.h"
#include "models/two_view_pipeline.h"
#include "nn/optim/sgd.h"
#include "procedures/feature_export.h"
#include "tensor/io/hdf5.h"
#include "tensor/ops/random.h"

namespace sp::procedures {
namespace {

data::MegaDepthConfig moto() {
  data::MegaDepthConfig c;
  c.root = test::fixture_path("two_view_scenes/megadepth");
  c.scenes = {"moto"};
  c.num_per_scene = 0;
  c.min_overlap = 0.4;
  c.max_overlap = 1.0;
  c.num_overlap_bins = 1;
  c.posed.resize.mode = "long";
  c.posed.resize.size = 160;
  c.posed.resize.pad = "square";
  return c;
}

std::shared_ptr<models::TwoViewPipeline> pipeline() {
  models::MapConfig config({{"extractor.name", "superpoint"},
                            {"extractor.width", "0.25"},
                            {"extractor.descriptor_dim", "16"},
                            {"extractor.detection_threshold", "0.0"},
                            {"extractor.top_k", "96"},
                            {"matcher.name", "dual_softmax"},
                            {"matcher.descriptor_dim", "16"},
                            {"ground_truth.name", "depth"}});
  manual_seed(11);
  auto p = models::TwoViewPipeline::from(config);
  p->train();
  return p;
}

models::Batch batch_of(const data::Dataset& d, int64_t index) {
  return models::make_batch(data::collate({d.get(index, 0)}));
}

// The losses of `steps` SGD steps on the pairs 0, 1, ... of `d`.
std::vector<double> loss_curve(models::TwoViewPipeline& p, const data::Dataset& d, int steps) {
  nn::optim::SGDOptions o;
  o.lr = 0.2;
  nn::optim::SGD sgd(p.matcher().parameters(), o);
  std::vector<double> out;
  for (int s = 0; s < steps; ++s) {
    const models::Batch b = batch_of(d, s % d.size());
    sgd.zero_grad();
    const models::Losses l = p.loss(p.run(b), b);
    out.push_back(l.total.data().item<double>());
    ag::backward(l.total);
    sgd.step();
  }
  return out;
}

TEST(FeatureCache, ExportRecordsItsExtractorAndTrainingFromItMatchesTheLiveRun) {
  const data::MegaDepthConfig live_config = moto();
  const data::MegaDepthDataset live(live_config);
  ASSERT_GE(live.size(), 4);

  auto exporter = pipeline();
  exporter->eval();
  FeatureExportOptions o;
  o.output = test::temp_dir("feature_cache") + "/features.h5";
  o.resize = live_config.posed.resize;
  o.extractor_config = "[model]\nname = \"superpoint\"\n";
  std::vector<std::pair<std::string, std::string>> images;
  for (const data::PosedView& v : live.views()) images.emplace_back(v.name, v.image);
  EXPECT_EQ(export_features(exporter->extractor(), images, o), int64_t(images.size()));

  const CacheInfo info = read_cache_info(o.output);
  EXPECT_EQ(info.extractor, exporter->extractor().type_name());
  EXPECT_EQ(info.extractor_config, o.extractor_config);
  EXPECT_EQ(info.resize, "long 160 pad square");
  {
    io::H5File f(o.output, io::H5File::Mode::Read);
    const std::string g = live.views()[0].name;
    EXPECT_EQ(f.attr_int(g, "original_width"), 370);  // keypoints in original pixels
    const std::vector<float> kp = f.read(g + "/keypoints").to_vector<float>();
    float max_x = 0;
    for (size_t i = 0; i < kp.size(); i += 2) max_x = std::max(max_x, kp[i]);
    EXPECT_GT(max_x, 200.f);  // beyond the 160-px resized image: mapped back
    EXPECT_LT(max_x, 370.f);
  }

  data::MegaDepthConfig cached_config = moto();
  cached_config.posed.cache = o.output;
  cached_config.posed.read_images = false;
  const data::MegaDepthDataset cached(cached_config);
  ASSERT_EQ(cached.size(), live.size());
  const models::Batch b = batch_of(cached, 0);
  EXPECT_FALSE(b.has("image0"));  // nothing to extract: the pipeline reads the cache
  EXPECT_TRUE(b.has("descriptors1"));

  // Same weights, same seed, same pairs: the same loss curve (the cache rounds keypoints
  // through original pixels, so allow float noise).
  auto live_model = pipeline();
  auto cached_model = pipeline();
  const std::vector<double> a = loss_curve(*live_model, live, 4);
  const std::vector<double> c = loss_curve(*cached_model, cached, 4);
  ASSERT_EQ(a.size(), c.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_TRUE(std::isfinite(a[i])) << i;
    EXPECT_NEAR(a[i], c[i], 1e-4 * std::max(1.0, std::abs(a[i]))) << "step " << i;
  }
  EXPECT_NE(a.front(), a.back());  // the matcher did train

  data::MegaDepthConfig missing = moto();
  missing.posed.cache = test::temp_dir("feature_cache_empty") + "/none.h5";
  { io::H5File empty(missing.posed.cache, io::H5File::Mode::Truncate); }
  const data::MegaDepthDataset incomplete(missing);
  EXPECT_SP_ERROR(incomplete.get(0, 0), "export them with sptrain export_features");
}

}  // namespace
}  // namespace sp::procedures

#include "models/two_view_pipeline.h"

#include "autograd/grad_mode.h"

namespace sp::models {

namespace {

// The sub-table's model, which must be of kind T ("an extractor", "a matcher").
template <typename T>
std::shared_ptr<T> component(ConfigView& config, const std::string& table, const char* kind) {
  SP_CHECK(config.has(table), "two_view_pipeline: expected a [model.", table,
           "] table with its name");
  std::unique_ptr<ConfigView> sub = config.sub(table);
  const std::string name = sub->get_string("name", "");
  SP_CHECK(!name.empty(), "two_view_pipeline: expected model.", table, ".name");
  std::shared_ptr<T> typed = std::dynamic_pointer_cast<T>(create_model(name, *sub));
  SP_CHECK(typed != nullptr, "two_view_pipeline: expected ", kind, " in model.", table,
           ".name, got '", name, "'");
  return typed;
}

bool has_all(const Batch& batch, const std::vector<std::string>& keys) {
  for (const std::string& k : keys)
    if (!batch.has(k)) return false;
  return true;
}

}  // namespace

TwoViewPipeline::TwoViewPipeline(std::shared_ptr<Extractor> extractor,
                                 std::shared_ptr<Matcher> matcher,
                                 std::shared_ptr<GtLabeller> ground_truth)
    : Model("TwoViewPipeline"),
      extractor_(register_module("extractor", std::move(extractor))),
      matcher_(register_module("matcher", std::move(matcher))),
      ground_truth_(std::move(ground_truth)) {}

std::shared_ptr<TwoViewPipeline> TwoViewPipeline::from(ConfigView& config) {
  auto extractor =
      component<Extractor>(config, "extractor", "an extractor (superpoint, magicpoint)");
  auto matcher = component<Matcher>(config, "matcher",
                                    "a matcher (nearest_neighbor, dual_softmax, lightglue)");
  std::shared_ptr<GtLabeller> gt;
  if (config.has("ground_truth")) {
    std::unique_ptr<ConfigView> sub = config.sub("ground_truth");
    gt = GtLabeller::from(*sub);
  }
  return std::make_shared<TwoViewPipeline>(extractor, matcher, gt);
}

features::Features TwoViewPipeline::view(const Batch& batch, const std::string& suffix) {
  if (batch.has("keypoints" + suffix)) return features::Features::take(batch.items(), suffix);
  SP_CHECK(
      batch.has("image" + suffix), "two_view_pipeline: expected image", suffix,
      " or cached keypoints", suffix, " in the batch, got keys [",
      [&] {
        std::string k;
        for (const auto& key : batch.keys()) k += (k.empty() ? "" : ", ") + key;
        return k;
      }(),
      "]");
  ag::NoGradGuard frozen;
  return extractor_->extract(batch.at("image" + suffix));
}

Predictions TwoViewPipeline::forward(const Batch& batch) {
  const features::Features f0 = view(batch, "0"), f1 = view(batch, "1");
  SP_CHECK(f0.batch_size() == f1.batch_size(),
           "two_view_pipeline: expected views of one batch size, got ", f0.batch_size(), " and ",
           f1.batch_size());
  // The matcher sees the batch with both views' features (Glue Factory: {**data, **pred}).
  std::map<std::string, Tensor> items = batch.items();
  f0.put(items, "0");
  f1.put(items, "1");
  Predictions pred = matcher_->forward(make_batch(items));
  put_features(pred, f0, "0");
  put_features(pred, f1, "1");
  // Inference batches (benchmarks, matching) carry no geometry: no labels then.
  if (ground_truth_ && has_all(batch, ground_truth_->required_keys()))
    ground_truth_->put(pred, f0, f1, batch);
  return pred;
}

Losses TwoViewPipeline::loss(const Predictions& pred, const Batch& batch) {
  // Without the labels forward could not compute: the missing geometry, by name.
  if (ground_truth_ && !pred.has("gt_assignment")) batch.require(ground_truth_->required_keys());
  return matcher_->loss(pred, batch);
}

std::map<std::string, double> TwoViewPipeline::metrics(const Predictions& pred,
                                                       const Batch& batch) {
  return matcher_->metrics(pred, batch);
}

void TwoViewPipeline::train(bool on) {
  Model::train(on);
  extractor_->eval();
}

}  // namespace sp::models

#include "procedures/benchmarks.h"

#include <toml++/toml.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>

#include "autograd/grad_mode.h"
#include "data/image_io.h"
#include "features/nearest_neighbor.h"
#include "models/two_view_pipeline.h"
#include "procedures/hpatches_export.h"
#include "tensor/ops/creation.h"

namespace fs = std::filesystem;

namespace sp::procedures {

namespace {

models::Extractor& extractor_of(models::Model& model, const char* what) {
  if (auto* e = dynamic_cast<models::Extractor*>(&model)) return *e;
  if (auto* p = dynamic_cast<models::TwoViewPipeline*>(&model)) return p->extractor();
  SP_FAIL(what, ": expected an extractor or a two_view_pipeline, got ", model.type_name());
}

Device device_of(models::Model& model) {
  return model.parameters().empty() ? Device(kCPU) : model.parameters().front().data().device();
}

// An image resized for the extractor, with its scales to map keypoints back.
struct Prepared {
  Tensor image;  // [1, C, H, W] on the device
  double sx = 1, sy = 1;
  int64_t width = 0, height = 0;  // resized, before padding
};

Prepared prepare(const std::string& path, const data::ResizeConfig& resize, bool gray,
                 int64_t multiple, Device device) {
  const Tensor image = data::read_image(path, gray);
  data::Resized r = data::resize_image(image, resize);
  const int64_t ph = (r.image.size(1) + multiple - 1) / multiple * multiple;
  const int64_t pw = (r.image.size(2) + multiple - 1) / multiple * multiple;
  return {data::pad_bottom_right(r.image, ph, pw).unsqueeze(0).to(device), r.sx, r.sy, r.width,
          r.height};
}

// Matched keypoints (resized pixels of each view) back to original pixels.
eval::PairMatches matched_points(const features::Features& f0, const features::Features& f1,
                                 const features::Matches& m, const Prepared& p0,
                                 const Prepared& p1) {
  const Tensor pairs = m.pairs(0);  // [K, 2]
  const std::vector<int64_t> idx = pairs.to_vector<int64_t>();
  const std::vector<float> k0 = f0.keypoints.select(0, 0).cpu().contiguous().to_vector<float>();
  const std::vector<float> k1 = f1.keypoints.select(0, 0).cpu().contiguous().to_vector<float>();
  eval::PairMatches out;
  const int64_t K = pairs.size(0);
  out.kpts0.resize(K, 2);
  out.kpts1.resize(K, 2);
  for (int64_t k = 0; k < K; ++k) {
    const int64_t i = idx[size_t(2 * k)], j = idx[size_t(2 * k + 1)];
    out.kpts0.row(k) << (k0[size_t(2 * i)] + 0.5) / p0.sx - 0.5,
        (k0[size_t(2 * i + 1)] + 0.5) / p0.sy - 0.5;
    out.kpts1.row(k) << (k1[size_t(2 * j)] + 0.5) / p1.sx - 0.5,
        (k1[size_t(2 * j + 1)] + 0.5) / p1.sy - 0.5;
  }
  return out;
}

data::ResizeConfig read_resize(train::ConfigReader& r, const std::string& t,
                               data::ResizeConfig fallback) {
  data::ResizeConfig z = fallback;
  z.mode = r.get<std::string>(t + "resize", z.mode);
  z.size = r.get<int64_t>(t + "resize_size", z.size);
  z.width = r.get<int64_t>(t + "resize_width", z.width);
  z.height = r.get<int64_t>(t + "resize_height", z.height);
  z.validate("benchmark " + t);
  return z;
}

}  // namespace

eval::HPatchesReport model_pose_benchmark(models::Model& model, const ModelPoseOptions& o) {
  const char* what = "pose benchmark";
  models::Extractor& extractor = extractor_of(model, what);
  auto* pipeline = dynamic_cast<models::TwoViewPipeline*>(&model);
  const eval::PosePairs all = eval::read_pose_benchmark(o.pairs, o.images);
  std::vector<eval::PosePair> pairs = all.pairs;
  if (o.max_pairs > 0 && int64_t(pairs.size()) > o.max_pairs) pairs.resize(size_t(o.max_pairs));
  const Device device = device_of(model);
  const bool gray = extractor.input_channels() == 1;
  const int64_t multiple = extractor.image_size_multiple();
  ag::NoGradGuard no_grad;
  std::vector<std::optional<eval::PairMatches>> matches;
  int64_t skipped = all.skipped;
  for (const eval::PosePair& p : pairs) {
    const std::string path0 = (fs::path(all.image_dir) / p.name0).string();
    const std::string path1 = (fs::path(all.image_dir) / p.name1).string();
    if (!fs::exists(path0) || !fs::exists(path1)) {
      if (o.progress)
        *o.progress << what << ": skipping the pair of " << p.where << ": no image "
                    << (fs::exists(path0) ? path1 : path0) << "\n";
      matches.emplace_back();
      continue;
    }
    const Prepared p0 = prepare(path0, o.resize, gray, multiple, device);
    const Prepared p1 = prepare(path1, o.resize, gray, multiple, device);
    features::Features f0, f1;
    features::Matches m;
    if (pipeline) {
      std::map<std::string, Tensor> b = {{"image0", p0.image}, {"image1", p1.image}};
      const models::Predictions pred = pipeline->forward(models::make_batch(b));
      f0 = models::features_of(pred, "0");
      f1 = models::features_of(pred, "1");
      m = models::matches_of(pred);
    } else {
      f0 = extractor.extract(p0.image);
      f1 = extractor.extract(p1.image);
      m = features::match_nearest_neighbors(f0, f1);
    }
    matches.push_back(matched_points(f0, f1, m.to(kCPU), p0, p1));
  }
  if (!o.save_matches.empty()) eval::save_pair_matches(o.save_matches, pairs, matches);
  eval::HPatchesReport report = eval::evaluate_poses(pairs, matches, o.eval);
  report.summary["num_skipped"] += double(skipped);
  return report;
}

std::vector<BenchmarkSpec> read_benchmarks(const train::Config& config) {
  std::vector<BenchmarkSpec> out;
  if (!config.has("benchmarks")) return out;
  train::ConfigReader r(config);
  for (const std::string& name : config.keys("benchmarks")) {
    const std::string t = "benchmarks." + name + ".";
    BenchmarkSpec s;
    s.name = name;
    s.kind = r.require<std::string>(t + "kind");
    if (s.kind == "hpatches") {
      s.hpatches.data_dir = r.require<std::string>(t + "data_dir");
      s.hpatches.subset = r.get<std::string>(t + "subset", "all");
      s.hpatches.top_k = r.get<int>(t + "top_k", s.hpatches.top_k);
      s.hpatches.threshold = r.get<double>(t + "threshold", s.hpatches.threshold);
      s.hpatches.ransac_threshold =
          r.get<double>(t + "ransac_threshold", s.hpatches.ransac_threshold);
      s.hpatches.matching_score = s.hpatches.nn_map = true;
      const std::vector<int64_t> size = r.get<std::vector<int64_t>>(t + "size", {240, 320});
      SP_CHECK(size.size() == 2, "config: expected 2 values for ", t, "size, got ", size.size());
      s.hpatches_size = {size[0], size[1]};
      s.hpatches_resize = r.get<std::string>(t + "resize", "crop");
    } else {
      SP_CHECK(s.kind == "pose", "config: expected ", t, "kind hpatches or pose, got '", s.kind,
               "'");
      s.pose.pairs = r.require<std::string>(t + "pairs");
      s.pose.images = r.get<std::string>(t + "images", "");
      data::ResizeConfig z;
      z.mode = "exact";
      z.width = 640;
      z.height = 480;
      s.pose.resize = read_resize(r, t, z);
      s.pose.eval.estimator =
          geometry::parse_pose_estimator(r.get<std::string>(t + "estimator", "opencv"));
      if (config.has(t + "ransac_threshold") &&
          config.table().at_path(t + "ransac_threshold").is_array())
        s.pose.eval.ransac_thresholds = r.get<std::vector<double>>(t + "ransac_threshold", {1.0});
      else
        s.pose.eval.ransac_thresholds = {r.get<double>(t + "ransac_threshold", 1.0)};
      s.pose.max_pairs = r.get<int64_t>(t + "max_pairs", 0);
    }
    out.push_back(s);
  }
  // Every other key of the config belongs to the trainer.
  for (const std::string& k : config.keys())
    if (k != "benchmarks") r.allow_table(k);
  r.finish();
  return out;
}

std::map<std::string, double> run_benchmark(models::Model& model, const BenchmarkSpec& s) {
  std::map<std::string, double> out;
  eval::HPatchesReport report;
  if (s.kind == "hpatches") {
    models::Extractor& extractor = extractor_of(model, "hpatches benchmark");
    HPatchesExportOptions eo;
    eo.data_dir = s.hpatches.data_dir;
    eo.subset = s.hpatches.subset;
    eo.size = s.hpatches_size;
    eo.resize = s.hpatches_resize;
    eo.output = (fs::temp_directory_path() /
                 ("sp_bench_" + std::to_string(getpid()) + "_" + s.name + ".h5"))
                    .string();
    export_hpatches_predictions(extractor, eo);
    eval::HPatchesOptions ho = s.hpatches;
    ho.predictions = eo.output;
    ho.homography = extractor.has_descriptors();
    ho.matching_score = ho.nn_map = extractor.has_descriptors();
    try {
      report = eval::run_hpatches(ho);
    } catch (...) {
      fs::remove(eo.output);
      throw;
    }
    fs::remove(eo.output);
  } else {
    report = model_pose_benchmark(model, s.pose);
  }
  for (const auto& [k, v] : report.summary) out[s.name + "/" + k] = v;
  return out;
}

train::BenchmarkHook benchmark_hook(const train::Config& config) {
  const std::vector<BenchmarkSpec> specs = read_benchmarks(config);
  SP_CHECK(!specs.empty(), "sptrain: expected [benchmarks.<name>] tables with --run_benchmarks ",
           "(kind = \"hpatches\" or \"pose\")");
  return [specs](models::Model& model, int64_t epoch) {
    std::map<std::string, double> all;
    for (const BenchmarkSpec& s : specs) {
      std::cerr << "benchmark " << s.name << " (" << s.kind << ") before epoch " << epoch << "\n";
      all.merge(run_benchmark(model, s));
    }
    return all;
  };
}

}  // namespace sp::procedures

#include "procedures/feature_export.h"

#include <filesystem>
#include <iostream>
#include <map>
#include <sstream>

#include "autograd/grad_mode.h"
#include "data/image_io.h"
#include "data/posed_pairs.h"
#include "features/feature_files.h"
#include "nn/module.h"
#include "tensor/io/hdf5.h"
#include "tensor/ops/creation.h"
#include "train/data_config.h"
#include "train/experiment.h"
#include "train/model_config.h"

namespace fs = std::filesystem;

namespace sp::procedures {

namespace {

Device model_device(models::Extractor& m) {
  return m.parameters().empty() ? Device(kCPU) : m.parameters().front().data().device();
}

}  // namespace

std::string describe_resize(const data::ResizeConfig& r) {
  std::ostringstream o;
  o << r.mode;
  if (r.mode == "long" || r.mode == "short") o << " " << r.size;
  if (r.mode == "exact") o << " " << r.width << "x" << r.height;
  o << " pad " << r.pad;
  if (r.pad == "multiple") o << " " << r.multiple;
  return o.str();
}

int64_t export_features(models::Extractor& extractor,
                        const std::vector<std::pair<std::string, std::string>>& images,
                        const FeatureExportOptions& o) {
  SP_CHECK(!o.output.empty(), "export_features: expected an output .h5 path");
  data::ResizeConfig resize = o.resize;
  resize.validate("export_features");
  const int64_t multiple = extractor.image_size_multiple();
  const Device device = model_device(extractor);
  const bool gray = extractor.input_channels() == 1;
  ag::NoGradGuard no_grad;
  {
    features::FeatureFileOptions fo;
    fo.half = o.half;
    // hloc-style half storage is what the sp layout writes too: keypoints/scores/desc f16.
    features::FeatureWriter writer(o.output, features::FeatureLayout::Sp, fo);
    int64_t done = 0;
    for (const auto& [name, path] : images) {
      Tensor image;
      try {
        image = data::read_image(path, gray);
      } catch (const Error& e) {
        SP_FAIL("export_features: failed on '", path, "': ", e.what());
      }
      const int64_t w = image.size(2), h = image.size(1);
      data::Resized r = data::resize_image(image, resize);
      // The extractor's multiple: pad further (bottom/right; keypoints are unaffected).
      const int64_t ph = (r.image.size(1) + multiple - 1) / multiple * multiple;
      const int64_t pw = (r.image.size(2) + multiple - 1) / multiple * multiple;
      const Tensor input = data::pad_bottom_right(r.image, ph, pw);
      features::ImageFeatures f =
          extractor.extract(input.unsqueeze(0).to(device)).image(0).to(kCPU);
      std::vector<float> xy = f.keypoints.contiguous().to_vector<float>();
      for (size_t i = 0; i + 1 < xy.size(); i += 2) {  // resized -> original pixels
        xy[i] = float((double(xy[i]) + 0.5) / r.sx - 0.5);
        xy[i + 1] = float((double(xy[i + 1]) + 0.5) / r.sy - 0.5);
      }
      f.keypoints = from_vector<float>(xy, Shape{f.size(), 2});
      writer.write(name, f,
                   {{"original_width", w},
                    {"original_height", h},
                    {"processing_width", r.width},
                    {"processing_height", r.height}});
      if (o.progress && (++done % 50 == 0 || done == int64_t(images.size())))
        *o.progress << "export_features: " << done << "/" << images.size() << " images\n";
    }
    writer.close();
  }
  // The provenance, on the root group (the writer has renamed the file into place).
  io::H5File f(o.output, io::H5File::Mode::ReadWrite);
  f.set_attr("", "extractor", o.extractor_name.empty() ? extractor.type_name() : o.extractor_name);
  f.set_attr("", "extractor_config", o.extractor_config);
  f.set_attr("", "resize", describe_resize(resize));
  f.close();
  return int64_t(images.size());
}

CacheInfo read_cache_info(const std::string& path) {
  io::H5File f(path, io::H5File::Mode::Read);
  CacheInfo c;
  auto get = [&](const char* key) {
    return f.has_attr("", key) ? f.attr_string("", key) : std::string();
  };
  c.extractor = get("extractor");
  c.extractor_config = get("extractor_config");
  c.resize = get("resize");
  return c;
}

void export_dataset_features(const ExportCommand& cmd) {
  train::Config config = train::Config::from_file(cmd.config);
  config.apply_overrides(cmd.overrides);
  // The images are what is exported: the datasets are read without their cache.
  train::Config cfg = config;
  cfg.erase("data.cache");
  train::ConfigReader reader(cfg);
  models::register_builtin_models();
  // The extractor: [model.extractor] of a two_view_pipeline, or [model] itself.
  const bool pipeline = config.has("model.extractor");
  const std::string table = pipeline ? "model.extractor" : "model";
  auto extractor = std::dynamic_pointer_cast<models::Extractor>(train::build_model(reader, table));
  SP_CHECK(extractor != nullptr, "export_features: expected an extractor in [", table, "]");
  const std::string weights = reader.get<std::string>("export.weights", "");
  const std::string output_key = reader.get<std::string>("export.output", "");
  const bool half = reader.get<bool>("export.half", false);
  const train::DataSets sets = train::make_datasets(reader, train::DataOptions{});
  if (pipeline) reader.allow_table("model");  // the matcher and ground truth: not needed
  reader.allow_table("train");
  reader.finish();
  std::map<std::string, std::string> images;
  data::ResizeConfig resize;
  for (const auto& set : {sets.train, sets.val}) {
    auto posed = std::dynamic_pointer_cast<const data::PosedPairDataset>(set);
    if (!set) continue;
    SP_CHECK(posed != nullptr, "export_features: expected a posed dataset (megadepth, ",
             "colmap_pairs, posed_images) in [data], got another");
    resize = posed->options().resize;
    for (const data::PosedView& v : posed->views()) images[v.name] = v.image;
  }
  if (!weights.empty()) nn::load_weights(*extractor, weights, /*strict=*/true);
  extractor->to(parse_device(cmd.device));
  extractor->eval();
  const fs::path exper = fs::path(train::experiments_root()) / cmd.name;
  fs::create_directories(exper);
  train::Config recorded = config;
  for (const std::string& k : config.keys())
    if (k != "model") recorded.erase(k);
  FeatureExportOptions o;
  o.output = output_key.empty() ? (exper / "features.h5").string() : output_key;
  o.resize = resize;
  o.half = half;
  o.extractor_config = recorded.to_toml() + (weights.empty() ? "" : "# weights " + weights + "\n");
  o.extractor_name = extractor->type_name();
  o.progress = &std::cerr;
  const std::vector<std::pair<std::string, std::string>> list(images.begin(), images.end());
  const int64_t n = export_features(*extractor, list, o);
  std::cerr << "export_features: " << n << " images -> " << o.output << "\n"
            << "train from it with: data.cache=" << o.output << "\n";
}

}  // namespace sp::procedures

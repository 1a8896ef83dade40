#include "procedures/commands.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "nn/module.h"
#include "tensor/cuda/context.h"
#include "train/experiment.h"
#include "train/model_config.h"
#include "train/progress.h"
#include "train/trainer.h"

namespace fs = std::filesystem;

namespace sp::procedures {

namespace {

train::Config load_config(const ExportCommand& c) {
  train::Config config = train::Config::from_file(c.config);
  config.apply_overrides(c.overrides);
  return config;
}

}  // namespace

Device parse_device(const std::string& spec) {
  if (spec.empty() || spec == "auto") return cuda::available() ? cuda_device(0) : Device(kCPU);
  return Device::parse(spec);
}

InferenceModel load_inference_model(train::ConfigReader& reader, const std::string& name,
                                    const std::string& weights, Device device) {
  models::register_builtin_models();
  const std::string model_name =
      name.empty() ? reader.get<std::string>("model.name", "superpoint") : name;
  if (!name.empty()) reader.get<std::string>("model.name", name);
  const std::string file =
      weights.empty() ? reader.get<std::string>("model.pretrained", "") : weights;
  if (!weights.empty()) reader.get<std::string>("model.pretrained", "");
  const bool batch_statistics = reader.get<bool>("model.bn_batch_statistics", false);
  train::ModelConfigView view(reader, "model");
  std::shared_ptr<models::Model> model = models::create_model(model_name, view);
  auto extractor = std::dynamic_pointer_cast<models::Extractor>(model);
  SP_CHECK(extractor != nullptr,
           "export: expected a keypoint extractor (magicpoint, superpoint), got '", model_name,
           "'");
  InferenceModel out;
  out.model = extractor;
  out.device = device;
  out.weights = file;
  out.batch_statistics = batch_statistics;
  out.description = model_name + " " + (file.empty() ? std::string("(random init)") : file);
  return out;
}

void InferenceModel::load() {
  if (!weights.empty()) {
    SP_CHECK(fs::exists(weights), "export: expected a weights file, got '", weights, "' (missing)");
    model->load_pretrained(weights);
  }
  model->to(device);
  if (!batch_statistics) model->eval();
}

InferenceModel load_experiment_model(const std::string& experiment, Device device) {
  const fs::path dir = fs::path(train::experiments_root()) / experiment;
  const fs::path config_path = dir / "config.toml";
  SP_CHECK(fs::exists(config_path), "experiment: expected '", config_path.string(), "' (is ",
           experiment, " an experiment under ", train::experiments_root(), "?)");
  train::Config config = train::Config::from_file(config_path.string());
  train::ConfigReader reader(config);
  const std::string checkpoint = train::experiment_checkpoint(experiment);
  SP_CHECK(!checkpoint.empty(), "experiment: expected checkpoints in '",
           (dir / "checkpoints").string(), "', got none");
  InferenceModel m = load_inference_model(reader, "", checkpoint, device);
  m.load();
  return m;
}

HomographyAdaptationConfig read_adaptation_config(train::ConfigReader& r,
                                                  const models::SuperPointConfig& model) {
  HomographyAdaptationConfig c = ps_export_defaults();
  const std::string t = "homography_adaptation.";
  c.num = r.get<int64_t>(t + "num", c.num);
  c.aggregation = r.get<std::string>(t + "aggregation", c.aggregation);
  c.filter_counts = r.get<double>(t + "filter_counts", c.filter_counts);
  c.valid_border_margin = r.get<int>(t + "valid_border_margin", c.valid_border_margin);
  c.batch_size = r.get<int64_t>(t + "batch_size", c.batch_size);
  c.subpixel = r.get<bool>(t + "subpixel", c.subpixel);
  c.seed = uint64_t(r.get<int64_t>(t + "seed", int64_t(c.seed)));
  data::HomographyParams& h = c.homographies;
  const std::string p = t + "homographies.";
  h.translation = r.get<bool>(p + "translation", h.translation);
  h.rotation = r.get<bool>(p + "rotation", h.rotation);
  h.scaling = r.get<bool>(p + "scaling", h.scaling);
  h.perspective = r.get<bool>(p + "perspective", h.perspective);
  h.n_scales = r.get<int>(p + "n_scales", h.n_scales);
  h.n_angles = r.get<int>(p + "n_angles", h.n_angles);
  h.scaling_amplitude = r.get<double>(p + "scaling_amplitude", h.scaling_amplitude);
  h.perspective_amplitude_x =
      r.get<double>(p + "perspective_amplitude_x", h.perspective_amplitude_x);
  h.perspective_amplitude_y =
      r.get<double>(p + "perspective_amplitude_y", h.perspective_amplitude_y);
  h.patch_ratio = r.get<double>(p + "patch_ratio", h.patch_ratio);
  h.max_angle = r.get<double>(p + "max_angle", h.max_angle);
  h.allow_artifacts = r.get<bool>(p + "allow_artifacts", h.allow_artifacts);
  h.translation_overflow = r.get<double>(p + "translation_overflow", h.translation_overflow);
  c.detect = model.detect_config();
  c.validate();
  return c;
}

HPatchesExportOptions read_hpatches_export_config(train::ConfigReader& r) {
  HPatchesExportOptions o;
  o.data_dir =
      train::resolve_data_path(r.get<std::string>("data.root", "hpatches-sequences-release"));
  o.subset = r.get<std::string>("data.alteration", o.subset);
  std::vector<int64_t> size = r.get<std::vector<int64_t>>("data.size", {o.size[0], o.size[1]});
  SP_CHECK(size.size() == 2, "config: expected data.size = [H, W], got ", size.size(), " values");
  o.size = {size[0], size[1]};
  o.resize = r.get<std::string>("data.resize", o.resize);
  return o;
}

bool export_detector_homoAdapt(const ExportCommand& cmd) {
  cuda::set_allow_tf32(cmd.tf32);
  train::Config config = load_config(cmd);
  train::ConfigReader reader(config);
  InferenceModel m = load_inference_model(reader, "", "", parse_device(cmd.device));
  auto superpoint = std::dynamic_pointer_cast<models::SuperPoint>(m.model);
  SP_CHECK(superpoint != nullptr,
           "export_detector_homoAdapt: expected a SuperPoint-family detector (magicpoint, ",
           "superpoint) for homography adaptation, got ", m.model->type_name());
  DetectorExportOptions o;
  o.adaptation = read_adaptation_config(reader, superpoint->config());
  o.images.layout = reader.get<std::string>("data.dataset", "coco");
  o.images.root = train::resolve_data_path(reader.get<std::string>("data.root", ""));
  o.images.split = reader.get<std::string>("data.split", "train");
  std::vector<int64_t> size = reader.get<std::vector<int64_t>>("data.size", {240, 320});
  SP_CHECK(size.size() == 2, "config: expected data.size = [H, W], got ", size.size(), " values");
  o.images.size = {size[0], size[1]};
  reader.finish();
  m.load();
  const fs::path exper = fs::path(train::experiments_root()) / cmd.name;
  o.output_dir = (exper / "predictions" / o.images.split).string();
  if (cmd.pictures) o.pictures_dir = (exper / "pictures" / o.images.split).string();
  o.limit = cmd.limit;
  o.model_description = m.description;
  fs::create_directories(exper);
  train::write_text_atomically((exper / "config.toml").string(), config.to_toml());
  std::cerr << "export_detector_homoAdapt: " << m.description << " on " << m.device << ", "
            << o.adaptation.num << " homographies, labels -> " << o.output_dir << "\n";
  DetectorExportSummary s = export_detector_labels(*superpoint, o);
  std::cerr << "export_detector_homoAdapt: " << s.written << " written, " << s.skipped
            << " already there, " << s.failed << " failed of " << s.images << " images in "
            << train::format_duration(s.seconds) << " (" << s.images_per_second() << " images/s";
  if (s.steady_images_per_second() > 0)
    std::cerr << "; " << s.steady_images_per_second() << " after the first";
  std::cerr << ")\n";
  return s.failed == 0;
}

void export_descriptor(const ExportCommand& cmd) {
  cuda::set_allow_tf32(cmd.tf32);
  train::Config config = load_config(cmd);
  train::ConfigReader reader(config);
  InferenceModel m = load_inference_model(reader, "", "", parse_device(cmd.device));
  HPatchesExportOptions o = read_hpatches_export_config(reader);
  reader.finish();
  m.load();
  const fs::path exper = fs::path(train::experiments_root()) / cmd.name;
  fs::create_directories(exper);
  train::write_text_atomically((exper / "config.toml").string(), config.to_toml());
  o.output = (exper / "predictions" / "hpatches.h5").string();
  o.progress = &std::cerr;
  const int64_t n = export_hpatches_predictions(*m.model, o);
  std::cerr << "export_descriptor: " << n << " images -> " << o.output << "\n"
            << "grade with: speval --repeatability --homography"
            << (m.model->has_descriptors() ? " --matching-score --nn-map" : "") << " --data-dir "
            << hpatches_sequences_dir(o.data_dir) << " --predictions " << o.output << "\n";
}

}  // namespace sp::procedures

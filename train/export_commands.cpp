#include "train/export_commands.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "nn/module.h"
#include "tensor/cuda/context.h"
#include "train/experiment.h"
#include "train/progress.h"
#include "train/trainer.h"

namespace fs = std::filesystem;

namespace sp::train {

namespace {

// models::ConfigView over a ConfigReader, keys relative to `prefix` ("model.").
class ReaderView : public models::ConfigView {
 public:
  ReaderView(ConfigReader& reader, std::string prefix) : reader_(reader), prefix_(std::move(prefix)) {}
  bool get_bool(const std::string& key, bool fallback) override { return reader_.get<bool>(prefix_ + key, fallback); }
  int64_t get_int(const std::string& key, int64_t fallback) override {
    return reader_.get<int64_t>(prefix_ + key, fallback);
  }
  double get_double(const std::string& key, double fallback) override {
    return reader_.get<double>(prefix_ + key, fallback);
  }
  std::string get_string(const std::string& key, const std::string& fallback) override {
    return reader_.get<std::string>(prefix_ + key, fallback);
  }

 private:
  ConfigReader& reader_;
  std::string prefix_;
};

// Parsed "CONFIG NAME [a.b=v ...] [--flag [value]]".
struct CommandLine {
  std::string config, name, device;
  std::vector<std::string> overrides;
  bool pictures = false;
  // TF32 tensor cores for f32 convolutions and matmuls on CUDA: PyTorch's cuDNN default,
  // about 10 mantissa bits in the products; off keeps FMA math.
  bool tf32 = false;
  int64_t limit = -1;
};

CommandLine parse_command(int argc, char** argv, const std::string& usage) {
  CommandLine c;
  std::vector<std::string> positional;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() {
      SP_CHECK(i + 1 < argc, argv[0], ": expected a value after ", a, "; usage: ", usage);
      return std::string(argv[++i]);
    };
    if (a == "--pictures" || a == "--outputImg") c.pictures = true;
    else if (a == "--device") c.device = value();
    else if (a == "--limit") c.limit = std::stoll(value());
    else if (a == "--tf32") c.tf32 = true;
    else if (a.rfind("--", 0) == 0) SP_FAIL(argv[0], ": unknown option ", a, "; usage: ", usage);
    else if (a.find('=') != std::string::npos) c.overrides.push_back(a);
    else positional.push_back(a);
  }
  SP_CHECK(positional.size() == 2, argv[0], ": expected CONFIG and NAME, got ", positional.size(),
           " positional arguments; usage: ", usage);
  c.config = positional[0], c.name = positional[1];
  return c;
}

Config load_config(const CommandLine& c) {
  Config config = Config::from_file(c.config);
  config.apply_overrides(c.overrides);
  return config;
}

template <typename F>
int run_command(const char* name, F&& body) {
  try {
    return body();
  } catch (const std::exception& e) {
    std::cerr << name << ": " << e.what() << "\n";
    return 1;
  }
}

}  // namespace

std::string data_root() {
  const char* env = std::getenv("SP_DATA_PATH");
  return env && *env ? std::string(env) : std::string("data");
}

std::string resolve_data_path(const std::string& path) {
  if (path.empty()) return data_root();
  if (fs::path(path).is_absolute()) return path;
  return (fs::path(data_root()) / path).string();
}

Device default_device() { return cuda::available() ? cuda_device(0) : Device(kCPU); }

InferenceModel load_inference_model(ConfigReader& reader, const std::string& name, const std::string& weights,
                                    Device device) {
  models::register_builtin_models();
  const std::string model_name = name.empty() ? reader.get<std::string>("model.name", "superpoint") : name;
  if (!name.empty()) reader.get<std::string>("model.name", name);
  const std::string file = weights.empty() ? reader.get<std::string>("model.pretrained", "") : weights;
  if (!weights.empty()) reader.get<std::string>("model.pretrained", "");
  const bool batch_statistics = reader.get<bool>("model.bn_batch_statistics", false);
  ReaderView view(reader, "model.");
  std::shared_ptr<models::Model> model = models::create_model(model_name, view);
  auto sp_model = std::dynamic_pointer_cast<models::SuperPoint>(model);
  SP_CHECK(sp_model != nullptr, "export: expected a SuperPoint-family model (magicpoint, superpoint), got '",
           model_name, "'");
  InferenceModel out;
  out.model = sp_model;
  out.device = device;
  out.weights = file;
  out.batch_statistics = batch_statistics;
  out.description = model_name + " " + (file.empty() ? std::string("(random init)") : file);
  return out;
}

void InferenceModel::load() {
  if (!weights.empty()) {
    SP_CHECK(fs::exists(weights), "export: expected a weights file, got '", weights, "' (missing)");
    nn::load_weights(*model, weights, /*strict=*/true);
  }
  model->to(device);
  if (!batch_statistics) model->eval();
}

InferenceModel load_experiment_model(const std::string& experiment, Device device) {
  const fs::path dir = fs::path(experiments_root()) / experiment;
  const fs::path config_path = dir / "config.toml";
  SP_CHECK(fs::exists(config_path), "experiment: expected '", config_path.string(), "' (is ", experiment,
           " an experiment under ", experiments_root(), "?)");
  Config config = Config::from_file(config_path.string());
  ConfigReader reader(config);
  const std::string checkpoint = experiment_checkpoint(experiment);
  SP_CHECK(!checkpoint.empty(), "experiment: expected checkpoints in '", (dir / "checkpoints").string(), "', got none");
  InferenceModel m = load_inference_model(reader, "", checkpoint, device);
  m.load();
  return m;
}

HomographyAdaptationConfig read_adaptation_config(ConfigReader& r, const models::SuperPointConfig& model) {
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
  h.perspective_amplitude_x = r.get<double>(p + "perspective_amplitude_x", h.perspective_amplitude_x);
  h.perspective_amplitude_y = r.get<double>(p + "perspective_amplitude_y", h.perspective_amplitude_y);
  h.patch_ratio = r.get<double>(p + "patch_ratio", h.patch_ratio);
  h.max_angle = r.get<double>(p + "max_angle", h.max_angle);
  h.allow_artifacts = r.get<bool>(p + "allow_artifacts", h.allow_artifacts);
  h.translation_overflow = r.get<double>(p + "translation_overflow", h.translation_overflow);
  c.detect = model.detect_config();
  c.validate();
  return c;
}

DescriptorExportOptions read_descriptor_export_config(ConfigReader& r, const models::SuperPointConfig& model) {
  DescriptorExportOptions o;
  o.data_dir = resolve_data_path(r.get<std::string>("data.root", "hpatches-sequences-release"));
  o.subset = r.get<std::string>("data.alteration", o.subset);
  std::vector<int64_t> size = r.get<std::vector<int64_t>>("data.size", {o.size[0], o.size[1]});
  SP_CHECK(size.size() == 2, "config: expected data.size = [H, W], got ", size.size(), " values");
  o.size = {size[0], size[1]};
  o.resize = r.get<std::string>("data.resize", o.resize);
  o.detect = model.detect_config();
  return o;
}

int export_detector_homoAdapt(int argc, char** argv) {
  const std::string usage =
      "sptrain export_detector_homoAdapt CONFIG NAME [a.b=value ...] [--pictures] [--device cpu|cuda:N] [--limit N]"
      " [--tf32]";
  return run_command("export_detector_homoAdapt", [&]() {
    CommandLine cmd = parse_command(argc, argv, usage);
    cuda::set_allow_tf32(cmd.tf32);
    Config config = load_config(cmd);
    ConfigReader reader(config);
    const Device device = cmd.device.empty() ? default_device() : Device(cmd.device);
    InferenceModel m = load_inference_model(reader, "", "", device);
    DetectorExportOptions o;
    o.adaptation = read_adaptation_config(reader, m.model->config());
    o.images.layout = reader.get<std::string>("data.dataset", "coco");
    o.images.root = resolve_data_path(reader.get<std::string>("data.root", ""));
    o.images.split = reader.get<std::string>("data.split", "train");
    std::vector<int64_t> size = reader.get<std::vector<int64_t>>("data.size", {240, 320});
    SP_CHECK(size.size() == 2, "config: expected data.size = [H, W], got ", size.size(), " values");
    o.images.size = {size[0], size[1]};
    reader.finish();
    m.load();
    const fs::path exper = fs::path(experiments_root()) / cmd.name;
    o.output_dir = (exper / "predictions" / o.images.split).string();
    if (cmd.pictures) o.pictures_dir = (exper / "pictures" / o.images.split).string();
    o.limit = cmd.limit;
    o.model_description = m.description;
    fs::create_directories(exper);
    write_text_atomically((exper / "config.toml").string(), config.to_toml());
    std::cerr << "export_detector_homoAdapt: " << m.description << " on " << m.device << ", "
              << o.adaptation.num << " homographies, labels -> " << o.output_dir << "\n";
    DetectorExportSummary s = export_detector_labels(*m.model, o);
    std::cerr << "export_detector_homoAdapt: " << s.written << " written, " << s.skipped << " already there, "
              << s.failed << " failed of " << s.images << " images in " << format_duration(s.seconds) << " ("
              << s.images_per_second() << " images/s";
    if (s.steady_images_per_second() > 0) std::cerr << "; " << s.steady_images_per_second() << " after the first";
    std::cerr << ")\n";
    return s.failed == 0 ? 0 : 1;
  });
}

int export_descriptor(int argc, char** argv) {
  const std::string usage = "sptrain export_descriptor CONFIG NAME [a.b=value ...] [--device cpu|cuda:N] [--tf32]";
  return run_command("export_descriptor", [&]() {
    CommandLine cmd = parse_command(argc, argv, usage);
    cuda::set_allow_tf32(cmd.tf32);
    Config config = load_config(cmd);
    ConfigReader reader(config);
    const Device device = cmd.device.empty() ? default_device() : Device(cmd.device);
    InferenceModel m = load_inference_model(reader, "", "", device);
    DescriptorExportOptions o = read_descriptor_export_config(reader, m.model->config());
    reader.finish();
    m.load();
    const fs::path exper = fs::path(experiments_root()) / cmd.name;
    fs::create_directories(exper);
    write_text_atomically((exper / "config.toml").string(), config.to_toml());
    o.output = (exper / "predictions" / "hpatches.h5").string();
    o.progress = &std::cerr;
    const int64_t n = export_hpatches_predictions(*m.model, o);
    std::cerr << "export_descriptor: " << n << " images -> " << o.output << "\n"
              << "grade with: speval --repeatability --homography --matching-score --nn-map --data-dir "
              << hpatches_sequences_dir(o.data_dir) << " --predictions " << o.output << "\n";
    return 0;
  });
}

int train_joint(int argc, char** argv) {
  const std::string usage = "sptrain train_joint CONFIG NAME [a.b=value ...] [--restore] [--overfit] [--overwrite]";
  return run_command("train_joint", [&]() {
    TrainOptions options;
    std::vector<char*> rest;
    for (int i = 0; i < argc; ++i) {
      const std::string a = argv[i];
      if (a == "--restore") options.restore = true;
      else if (a == "--overfit") options.overfit = true;
      else if (a == "--overwrite") options.overwrite = true;
      else if (a == "--eval") continue;  // [PS] flag: validation always runs
      else rest.push_back(argv[i]);
    }
    CommandLine cmd = parse_command(int(rest.size()), rest.data(), usage);
    SP_CHECK(cmd.device.empty() && !cmd.pictures && cmd.limit < 0,
             "train_joint: expected train.device=... instead of --device; usage: ", usage);
    train_experiment(cmd.name, load_config(cmd), options, "train_joint");  // one rank per process under mpirun
    return 0;
  });
}

}  // namespace sp::train

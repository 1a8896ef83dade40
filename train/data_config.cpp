#include "train/data_config.h"

#include <algorithm>
#include <array>
#include <map>
#include <mutex>
#include <sstream>

#include "tensor/check.h"

namespace sp::train {

namespace {

data::PhotometricParams photometric_preset(const std::string& name) {
  if (name == "synthetic_shapes") return data::PhotometricParams::synthetic_shapes();
  if (name == "superpoint_coco") return data::PhotometricParams::superpoint_coco();
  if (name == "magicpoint_coco") return data::PhotometricParams::magicpoint_coco();
  SP_CHECK(name == "default",
           "config: expected photometric preset synthetic_shapes, superpoint_coco, "
           "magicpoint_coco or default, got '",
           name, "'");
  return {};
}

data::HomographyParams homography_preset(const std::string& name) {
  if (name == "synthetic_shapes") return data::HomographyParams::synthetic_shapes();
  if (name == "warped_pair") return data::HomographyParams::warped_pair();
  if (name == "adaptation") return data::HomographyParams::adaptation();
  SP_CHECK(name == "default",
           "config: expected homographic preset synthetic_shapes, warped_pair, adaptation or "
           "default, got '",
           name, "'");
  return {};
}

template <typename T, size_t N>
std::array<T, N> get_array(ConfigReader& r, const std::string& key,
                           const std::array<T, N>& fallback) {
  using Wide = std::conditional_t<std::is_integral_v<T>, int64_t, double>;
  std::vector<Wide> v =
      r.get<std::vector<Wide>>(key, std::vector<Wide>(fallback.begin(), fallback.end()));
  SP_CHECK(v.size() == N, "config: expected ", N, " values for ", key, ", got ", v.size());
  std::array<T, N> out;
  for (size_t i = 0; i < N; ++i) out[i] = T(v[i]);
  return out;
}

}  // namespace

data::AugmentConfig read_augment(ConfigReader& r, const std::string& table) {
  data::AugmentConfig a;
  const std::string p = table + ".photometric.";
  a.photometric = r.get<bool>(p + "enable", false);
  data::PhotometricParams& ph = a.photometric_params;
  ph = photometric_preset(r.get<std::string>(p + "preset", "synthetic_shapes"));
  ph.random_order = r.get<bool>(p + "random_order", ph.random_order);
  ph.brightness = r.get<bool>(p + "brightness", ph.brightness);
  ph.contrast = r.get<bool>(p + "contrast", ph.contrast);
  ph.gaussian_noise = r.get<bool>(p + "gaussian_noise", ph.gaussian_noise);
  ph.speckle_noise = r.get<bool>(p + "speckle_noise", ph.speckle_noise);
  ph.shade = r.get<bool>(p + "shade", ph.shade);
  ph.motion_blur = r.get<bool>(p + "motion_blur", ph.motion_blur);
  ph.brightness_max_abs_change =
      r.get<double>(p + "brightness_max_abs_change", ph.brightness_max_abs_change);
  ph.contrast_range = get_array(r, p + "contrast_range", ph.contrast_range);
  ph.noise_stddev_range = get_array(r, p + "noise_stddev_range", ph.noise_stddev_range);
  ph.speckle_prob_range = get_array(r, p + "speckle_prob_range", ph.speckle_prob_range);
  ph.shade_nb_ellipses = r.get<int>(p + "shade_nb_ellipses", ph.shade_nb_ellipses);
  ph.shade_transparency_range =
      get_array(r, p + "shade_transparency_range", ph.shade_transparency_range);
  ph.shade_kernel_size_range =
      get_array(r, p + "shade_kernel_size_range", ph.shade_kernel_size_range);
  ph.motion_blur_max_kernel_size =
      r.get<int>(p + "motion_blur_max_kernel_size", ph.motion_blur_max_kernel_size);
  ph.validate();

  const std::string h = table + ".homographic.";
  a.homographic = r.get<bool>(h + "enable", false);
  data::HomographyParams& hp = a.homography_params;
  hp = homography_preset(r.get<std::string>(h + "preset", "synthetic_shapes"));
  hp.translation = r.get<bool>(h + "translation", hp.translation);
  hp.rotation = r.get<bool>(h + "rotation", hp.rotation);
  hp.scaling = r.get<bool>(h + "scaling", hp.scaling);
  hp.perspective = r.get<bool>(h + "perspective", hp.perspective);
  hp.n_scales = r.get<int>(h + "n_scales", hp.n_scales);
  hp.n_angles = r.get<int>(h + "n_angles", hp.n_angles);
  hp.scaling_amplitude = r.get<double>(h + "scaling_amplitude", hp.scaling_amplitude);
  hp.perspective_amplitude_x =
      r.get<double>(h + "perspective_amplitude_x", hp.perspective_amplitude_x);
  hp.perspective_amplitude_y =
      r.get<double>(h + "perspective_amplitude_y", hp.perspective_amplitude_y);
  hp.patch_ratio = r.get<double>(h + "patch_ratio", hp.patch_ratio);
  hp.max_angle = r.get<double>(h + "max_angle", hp.max_angle);
  hp.allow_artifacts = r.get<bool>(h + "allow_artifacts", hp.allow_artifacts);
  hp.translation_overflow = r.get<double>(h + "translation_overflow", hp.translation_overflow);
  a.valid_border_margin = r.get<int>(h + "valid_border_margin", a.valid_border_margin);
  hp.validate();
  return a;
}

namespace {

void check_size_multiple(const std::string& key, std::array<int64_t, 2> size,
                         const DataOptions& opt) {
  const int64_t m = std::max<int64_t>(1, opt.size_multiple);
  SP_CHECK(size[0] % m == 0 && size[1] % m == 0, "config: expected ", key, " to be multiples of ",
           m, opt.model.empty() ? "" : " for " + opt.model, ", got [", size[0], ", ", size[1], "]");
}

DataSets synthetic_shapes(ConfigReader& r, const std::string& t, const DataOptions& opt) {
  data::ShapesConfig s;
  auto canvas = get_array<int64_t, 2>(r, t + ".canvas", {s.canvas_height, s.canvas_width});
  s.canvas_height = canvas[0];
  s.canvas_width = canvas[1];
  auto resize = get_array<int64_t, 2>(r, t + ".resize", {s.height, s.width});
  s.height = resize[0];
  s.width = resize[1];
  s.blur_size = r.get<int>(t + ".blur_size", s.blur_size);
  s.split_sizes = get_array(r, t + ".split_sizes", s.split_sizes);
  s.truncate_ellipses = r.get<double>(t + ".truncate_ellipses", s.truncate_ellipses);
  s.truncate_stripes = r.get<double>(t + ".truncate_stripes", s.truncate_stripes);
  s.truncate_noise = r.get<double>(t + ".truncate_noise", s.truncate_noise);
  s.validate();
  check_size_multiple(t + ".resize", {s.height, s.width}, opt);
  std::vector<data::Primitive> primitives;
  for (const std::string& name : r.get<std::vector<std::string>>(t + ".primitives", {}))
    primitives.push_back(data::parse_primitive(name));
  if (primitives.empty()) primitives = data::all_primitives();
  const uint64_t data_seed = uint64_t(r.get<int64_t>(t + ".seed", 0));
  const bool cache = r.get<bool>(t + ".cache", true);
  const std::string cache_dir = r.get<std::string>(t + ".cache_dir", "");
  const int threads = r.get<int>(t + ".cache_threads", 0);
  data::AugmentConfig augment = read_augment(r, t);
  const bool augment_val = r.get<bool>(t + ".augment_val", false);

  auto train = std::make_shared<data::SyntheticShapesDataset>(s, data::Split::Train, augment,
                                                              data_seed, primitives);
  auto val = std::make_shared<data::SyntheticShapesDataset>(
      s, data::Split::Val, augment_val ? augment : data::AugmentConfig{}, data_seed, primitives);
  if (cache) {
    if (opt.train) train->cache(cache_dir, threads, opt.verbose);
    val->cache(cache_dir, threads, opt.verbose);
  }
  DataSets out;
  out.train = train;
  if (val->size() > 0) out.val = val;
  std::ostringstream d;
  d << "synthetic_shapes " << s.height << "x" << s.width << ": " << train->size() << " train, "
    << val->size() << " val samples (" << primitives.size() << " primitives)"
    << (cache ? ", cached" : "") << (augment.photometric ? ", photometric" : "")
    << (augment.homographic ? ", homographic" : "");
  out.description = d.str();
  return out;
}

DataSets image_folder(ConfigReader& r, const std::string& t, const DataOptions& opt) {
  data::ImageFolderConfig c;
  c.root = r.get<std::string>(t + ".root", "");
  if (c.root.empty()) {
    const char* env = std::getenv("SP_DATA_PATH");
    c.root = env && *env ? env : "data";
  }
  c.layout = r.get<std::string>(t + ".layout", c.layout);
  c.split = r.get<std::string>(t + ".split", c.split);
  c.size = get_array(r, t + ".size", c.size);
  c.labels_dir = r.get<std::string>(t + ".labels_dir", c.labels_dir);
  c.pairs = r.get<bool>(t + ".pairs", c.pairs);
  c.augment = read_augment(r, t);
  check_size_multiple(t + ".size", c.size, opt);
  const std::string val_split = r.get<std::string>(t + ".val_split", "");
  const std::string val_labels = r.get<std::string>(t + ".val_labels_dir", c.labels_dir);
  DataSets out;
  out.train = std::make_shared<data::ImageFolderDataset>(c);
  if (!val_split.empty()) {
    data::ImageFolderConfig v = c;
    v.split = val_split;
    v.labels_dir = val_labels;
    if (!r.get<bool>(t + ".augment_val", false)) {
      v.augment.photometric = false;
      v.augment.homographic = false;
    }
    out.val = std::make_shared<data::ImageFolderDataset>(v);
  }
  std::ostringstream d;
  d << "image_folder " << c.layout << " " << c.root << " (" << c.split << "): " << out.train->size()
    << " images"
    << (out.val ? ", " + std::to_string(out.val->size()) + " val" : std::string(", no validation"));
  out.description = d.str();
  return out;
}

std::map<std::string, DatasetFactory>& registry() {
  static std::map<std::string, DatasetFactory> r = [] {
    std::map<std::string, DatasetFactory> m = {
        {"synthetic_shapes", [](ConfigReader& c, const std::string& t,
                                const DataOptions& o) { return synthetic_shapes(c, t, o); }},
        {"image_folder", [](ConfigReader& c, const std::string& t,
                            const DataOptions& o) { return image_folder(c, t, o); }},
    };
    m.merge(two_view_datasets());
    return m;
  }();
  return r;
}
std::mutex& registry_mutex() {
  static std::mutex m;
  return m;
}

}  // namespace

void register_dataset(const std::string& name, DatasetFactory factory) {
  std::lock_guard<std::mutex> lock(registry_mutex());
  registry()[name] = std::move(factory);
}

std::vector<std::string> registered_datasets() {
  std::lock_guard<std::mutex> lock(registry_mutex());
  std::vector<std::string> out;
  for (const auto& [name, f] : registry()) out.push_back(name);
  return out;
}

DataSets make_datasets(ConfigReader& r, const DataOptions& options, const std::string& table) {
  const std::string name = r.require<std::string>(table + ".name");
  DatasetFactory factory;
  {
    std::lock_guard<std::mutex> lock(registry_mutex());
    auto it = registry().find(name);
    if (it != registry().end()) factory = it->second;
  }
  if (!factory) {
    std::string names;
    for (const auto& n : registered_datasets()) names += (names.empty() ? "" : ", ") + n;
    SP_FAIL("config: expected ", table, ".name among {", names, "}, got '", name, "'");
  }
  return factory(r, table, options);
}

}  // namespace sp::train

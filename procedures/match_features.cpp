#include "procedures/match_features.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "autograd/grad_mode.h"
#include "data/image_io.h"
#include "features/feature_files.h"
#include "models/lightglue.h"
#include "models/matcher.h"
#include "models/superglue.h"
#include "procedures/commands.h"
#include "tensor/io/hdf5.h"
#include "train/progress.h"

namespace fs = std::filesystem;

namespace sp::procedures {

std::pair<std::string, features::FeatureLayout> locate_features(const std::string& out) {
  if (fs::is_directory(out)) {
    if (fs::exists(fs::path(out) / "keypoints.h5")) return {out, features::FeatureLayout::Disk};
    const fs::path hloc = fs::path(out) / "features.h5";
    if (fs::exists(hloc)) return {hloc.string(), features::FeatureLayout::Hloc};
    SP_FAIL("spmatch: expected features in '", out,
            "' (keypoints.h5 of DISK's layout, or hloc's features.h5), got neither; hint: run "
            "spdetect IMAGES ",
            out, " first");
  }
  SP_CHECK(fs::exists(out), "spmatch: expected a feature folder or .h5 file, got '", out,
           "' (missing)");
  return {out, features::FeatureLayout::Hloc};
}

std::string default_matches_path(const std::string& feature_file, features::FeatureLayout layout) {
  return layout == features::FeatureLayout::Disk
             ? (fs::path(feature_file) / "matches.h5").string()
             : (fs::path(feature_file).parent_path() / "matches.h5").string();
}

std::vector<std::pair<std::string, std::string>> exhaustive_pairs(std::vector<std::string> names) {
  std::sort(names.begin(), names.end());
  std::vector<std::pair<std::string, std::string>> out;
  for (size_t i = 0; i < names.size(); ++i)
    for (size_t j = i + 1; j < names.size(); ++j) out.emplace_back(names[i], names[j]);
  return out;
}

std::vector<std::pair<std::string, std::string>> read_pairs(const std::string& file,
                                                            const std::vector<std::string>& names) {
  std::ifstream in(file);
  SP_CHECK(in.good(), "spmatch: expected a readable pair list, got '", file, "'");
  const std::set<std::string> known(names.begin(), names.end());
  std::set<std::pair<std::string, std::string>> seen;
  std::vector<std::pair<std::string, std::string>> out;
  std::string line;
  int64_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    std::stringstream s(line);
    std::string a, b;
    if (!(s >> a) || a[0] == '#') continue;
    SP_CHECK(static_cast<bool>(s >> b), "spmatch: expected 'name0 name1' in ", file, ":", number,
             ", got '", line, "'");
    for (const std::string& n : {a, b})
      SP_CHECK(known.count(n), "spmatch: expected image names of the features in ", file, ":",
               number, ", got '", n, "' (", names.size(), " images have features)");
    if (a == b) continue;
    if (!seen.insert(std::minmax(a, b)).second) continue;  // each unordered pair once
    out.emplace_back(a, b);
  }
  return out;
}

int64_t check_match_file(const std::string& path, const std::string& layout) {
  try {
    io::H5File file(path, io::H5File::Mode::Read);
    const std::vector<std::string> datasets = file.datasets();
    int64_t pairs = 0;
    for (const std::string& d : datasets) {
      if (layout == "disk") {
        SP_CHECK(std::count(d.begin(), d.end(), '/') == 1,
                 "expected datasets <name0>/<name1>, got '", d, "'");
        ++pairs;
      } else {
        const bool m = d.size() > 9 && d.compare(d.size() - 9, 9, "/matches0") == 0;
        const bool s = d.size() > 17 && d.compare(d.size() - 17, 17, "/matching_scores0") == 0;
        SP_CHECK(m || s, "expected datasets <pair>/matches0, got '", d, "'");
        pairs += m;
      }
    }
    if (layout == "disk" && !datasets.empty()) {
      const Tensor first = file.read(datasets.front());
      SP_CHECK(first.dim() == 2 && first.size(0) == 2, "expected [2, K] index pairs in '",
               datasets.front(), "', got ", first.shape());
    }
    return pairs;
  } catch (const Error& e) {
    SP_FAIL("matches: expected '", path, "' to be a ", layout,
            " matches file, got one that is not (", e.what(),
            "); hint: move it away, or pass --overwrite to replace it");
  }
}

namespace {

// The image a feature name stands for: DIR/name, or DIR/name plus a usual extension
// (DISK's layout drops it).
std::string image_path(const std::string& dir, const std::string& name) {
  const fs::path base = fs::path(dir) / name;
  if (fs::is_regular_file(base)) return base.string();
  for (const char* ext : {".jpg", ".png", ".ppm", ".pgm", ".jpeg", ".JPG", ".PNG"})
    if (fs::is_regular_file(base.string() + ext)) return base.string() + ext;
  SP_FAIL("spmatch: expected the image of '", name, "' in ", dir, " (", base.string(),
          "[.jpg|.png|.ppm|.pgm|.jpeg]), got none");
}

}  // namespace

MatchReport match_features(const MatchCommand& c) {
  SP_CHECK(c.matcher == "nn" || c.matcher == "lightglue" || c.matcher == "superglue",
           "spmatch: expected --matcher nn, lightglue or superglue, got '", c.matcher, "'");
  const bool lightglue = c.matcher == "lightglue", learned = c.matcher != "nn";
  SP_CHECK(!learned || !c.weights.empty(), "spmatch: expected --weights FILE with --matcher ",
           c.matcher, " (its weights for these features, e.g. disk_lightglue.pth)");
  SP_CHECK(c.save_threshold >= 0 && c.ratio_threshold > 0,
           "spmatch: expected --save-threshold >= 0 and --rt > 0, got ", c.save_threshold, " and ",
           c.ratio_threshold);
  const auto [feature_file, layout] = locate_features(c.features);
  const std::string format =
      c.format.empty() ? (layout == features::FeatureLayout::Disk ? "disk" : "hloc") : c.format;
  const features::MatchLayout match_layout = features::parse_match_layout(format);
  MatchReport report;
  report.output = c.output;
  if (report.output.empty()) report.output = default_matches_path(feature_file, layout);
  if (fs::exists(report.output) && !c.overwrite) {
    const int64_t n = check_match_file(report.output, format);
    SP_FAIL("spmatch: expected no matches file at '", report.output, "', got one with ", n,
            " pairs; hint: pass --overwrite to replace it, or --output to write elsewhere");
  }
  const features::FeatureReader reader(feature_file);
  const std::vector<std::string> names = reader.names();
  const auto pairs = c.pairs.empty() ? exhaustive_pairs(names) : read_pairs(c.pairs, names);
  const Device device = parse_device(c.device);
  models::register_builtin_models();
  std::shared_ptr<models::Matcher> matcher;
  int64_t input_dim = 0;  // a learned matcher's descriptor size
  if (lightglue) {
    models::LightGlueConfig lc = models::LightGlueConfig::from_weights(c.weights, {});
    input_dim = lc.input_dim;
    auto lg = std::make_shared<models::LightGlue>(lc);
    lg->load_pretrained(c.weights);
    matcher = lg;
  } else if (c.matcher == "superglue") {
    auto sg = models::SuperGlue::from_weights(c.weights);
    const models::SuperGlueConfig& sc = sg->config();
    input_dim = sc.input_dim > 0 ? sc.input_dim : sc.descriptor_dim;
    matcher = sg;
  } else {
    std::map<std::string, std::string> values{{"mutual", "true"}};
    if (c.ratio_threshold < 1) values["ratio_threshold"] = std::to_string(c.ratio_threshold);
    models::MapConfig config(values);
    matcher = std::dynamic_pointer_cast<models::Matcher>(
        models::create_model("nearest_neighbor", config));
  }
  SP_ASSERT(matcher != nullptr);
  matcher->eval();
  matcher->to(device);

  // Every image's features once, on the CPU; batches are padded onto the device.
  std::map<std::string, features::ImageFeatures> cache;
  auto features_of = [&](const std::string& name) -> const features::ImageFeatures& {
    auto it = cache.find(name);
    if (it != cache.end()) return it->second;
    features::ImageFeatures f = reader.read(name);
    SP_CHECK(f.has_descriptors(), "spmatch: expected descriptors of '", name, "' in ",
             feature_file);
    if (learned) {
      SP_CHECK(f.descriptors.size(1) == input_dim, "spmatch: expected ", input_dim,
               "-D descriptors (the input size of ", c.weights, ") for '", name, "' in ",
               feature_file, ", got ", f.descriptors.shape(),
               "; hint: a matcher's weights are trained for one kind of features");
      if (f.size() > 0 && (f.width <= 0 || f.height <= 0)) {
        // DISK's layout stores no image size: learned matchers normalise keypoints by it.
        SP_CHECK(!c.images.empty(), "spmatch: expected the image size of '", name, "' (",
                 feature_file, " stores none); hint: pass --images DIR (the images ",
                 "spdetect read) or write hloc features, which keep image_size");
        const std::string path = image_path(c.images, name);
        const Tensor image = data::read_image(path, /*gray=*/true);
        f.height = image.size(-2);
        f.width = image.size(-1);
      }
    }
    return cache.emplace(name, std::move(f)).first->second;
  };
  // A batch holds pairs whose padded [N, M] score matrices fit a budget (1 GiB on the CPU,
  // 2 GiB on a GPU, about eight such matrices live at once).
  const double budget = (device.is_cuda() ? 2.0 : 1.0) * double(1 << 30);
  features::MatchWriter writer(report.output, match_layout, {.half = c.half});
  train::Progress progress("pairs", int64_t(pairs.size()));
  ag::NoGradGuard no_grad;
  const auto t0 = std::chrono::steady_clock::now();
  for (size_t start = 0; start < pairs.size();) {
    std::vector<features::ImageFeatures> first, second;
    int64_t max_n = 0, max_m = 0;
    size_t end = start;
    while (end < pairs.size()) {
      const features::ImageFeatures& a = features_of(pairs[end].first);
      const features::ImageFeatures& b = features_of(pairs[end].second);
      const int64_t n = std::max(max_n, a.size()), m = std::max(max_m, b.size());
      const double bytes = 32.0 * double(std::max<int64_t>(n, 1) * std::max<int64_t>(m, 1)) *
                           double(end - start + 1);
      // LightGlue's adaptive depth and width work pair by pair.
      const int64_t batch = lightglue && c.batch_size <= 0 ? 1 : c.batch_size;
      const bool full = batch > 0 ? int64_t(end - start) >= batch : (end > start && bytes > budget);
      if (full) break;
      first.push_back(a), second.push_back(b);
      max_n = n, max_m = m;
      ++end;
    }
    const features::Matches m =
        matcher->match(features::pad(first, 0, device), features::pad(second, 0, device)).to(kCPU);
    for (size_t k = start; k < end; ++k) {
      const int64_t b = int64_t(k - start), n = first[size_t(b)].size();
      const Tensor m0 = m.matches0.select(0, b).narrow(0, 0, n).contiguous();
      const Tensor s0 = m.matching_scores0.select(0, b).narrow(0, 0, n).contiguous();
      int64_t count = 0;
      for (int64_t v : m0.to_vector<int64_t>()) count += v >= 0;
      ++report.pairs;
      if (count < c.save_threshold) continue;
      writer.write(pairs[k].first, pairs[k].second, m0, s0);
      ++report.written;
      report.matches += count;
    }
    start = end;
    if (c.progress) progress.update(int64_t(start));
  }
  writer.close();
  if (c.progress) progress.finish();
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (c.progress)
    *c.progress << "spmatch: " << report.pairs << " pairs matched, " << report.written
                << " written (>= " << c.save_threshold << " matches), "
                << (report.written ? report.matches / report.written : 0)
                << " matches per written pair -> " << report.output << "\n";
  return report;
}

}  // namespace sp::procedures

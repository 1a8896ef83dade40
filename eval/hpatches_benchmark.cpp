#include "eval/hpatches_benchmark.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <sstream>

#include "data/image_io.h"
#include "eval/match_pictures.h"
#include "features/feature_files.h"
#include "tensor/check.h"

namespace sp::eval {

namespace fs = std::filesystem;

namespace {

struct ImageFeatures {
  Points2 keypoints;
  Eigen::VectorXd scores;
  Descriptors descriptors;
  ImageSize size;  // evaluation (processing) size
};

// `need_descriptors_for`: the flags that grade descriptors ("" when none was given).
ImageFeatures load_features(const features::FeatureReader& file, const std::string& group,
                            ImageSize original, const std::string& need_descriptors_for) {
  ImageFeatures f;
  const features::ImageFeatures in = file.read(group);
  const int64_t n = in.size();
  const std::vector<float> kv = in.keypoints.contiguous().to_vector<float>();
  f.keypoints =
      Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, 2, Eigen::RowMajor>>(kv.data(), n, 2)
          .cast<double>();
  const std::vector<float> sv = in.scores.contiguous().to_vector<float>();
  f.scores = Eigen::Map<const Eigen::VectorXf>(sv.data(), n).cast<double>();
  if (!need_descriptors_for.empty()) {
    SP_CHECK(in.has_descriptors(), "speval: ", need_descriptors_for, " grade descriptors, and '",
             group, "' in ", file.path(),
             " has none (a detector-only model such as MagicPoint); hint: --repeatability needs",
             " keypoints only");
    const std::vector<float> dv = in.descriptors.contiguous().to_vector<float>();
    f.descriptors = Eigen::Map<const Descriptors>(dv.data(), n, in.descriptors.size(1));
  }
  f.size = original;
  const int64_t pw = file.attribute(group, "processing_width", 0),
                ph = file.attribute(group, "processing_height", 0);
  if (pw > 0 && ph > 0) {
    ImageSize proc{double(pw), double(ph)};
    double sx = proc.width / original.width, sy = proc.height / original.height;
    // Pixel-centre convention: (x + 0.5) s - 0.5.
    f.keypoints.col(0) = ((f.keypoints.col(0).array() + 0.5) * sx - 0.5).matrix();
    f.keypoints.col(1) = ((f.keypoints.col(1).array() + 0.5) * sy - 0.5).matrix();
    f.size = proc;
  }
  return f;
}

// Maps original pixels to evaluation pixels (same convention as load_features).
Eigen::Matrix3d scaling(ImageSize original, ImageSize evaluated) {
  double sx = evaluated.width / original.width, sy = evaluated.height / original.height;
  Eigen::Matrix3d S;
  S << sx, 0, 0.5 * sx - 0.5, 0, sy, 0.5 * sy - 0.5, 0, 0, 1;
  return S;
}

double mean_of(const std::vector<PairRecord>& pairs, const std::string& key) {
  double sum = 0;
  int n = 0;
  for (const PairRecord& p : pairs) {
    auto it = p.values.find(key);
    if (it != p.values.end() && std::isfinite(it->second)) {
      sum += it->second;
      ++n;
    }
  }
  return n ? sum / n : std::nan("");
}

}  // namespace

Eigen::Matrix3d read_homography_file(const std::string& path) {
  std::ifstream in(path);
  SP_CHECK(in.good(), "speval: expected a readable homography file ", path);
  Eigen::Matrix3d H;
  for (int i = 0; i < 9; ++i)
    SP_CHECK(bool(in >> H(i / 3, i % 3)), "speval: expected 9 numbers in ", path);
  return H;
}

namespace {

// The pair at the processing resolution the metrics used, with its mutual matches.
void write_pair_picture(const std::string& dir, const std::string& seq, int k, const Tensor& image1,
                        const ImageFeatures& f1, const Tensor& imagek, const ImageFeatures& fk,
                        const DescriptorResult& d) {
  auto at_size = [](const Tensor& img, ImageSize size) {
    return data::resize(img, int64_t(size.height), int64_t(size.width), data::Interp::Area);
  };
  Tensor picture = match_picture(at_size(image1, f1.size), at_size(imagek, fk.size), f1.keypoints,
                                 fk.keypoints, d.matched1, d.matched2, d.match_correct);
  fs::create_directories(dir);
  data::write_png((fs::path(dir) / (seq + "_1_" + std::to_string(k) + ".png")).string(), picture);
}

}  // namespace

HPatchesReport run_hpatches(const HPatchesOptions& options) {
  SP_CHECK(options.subset == "all" || options.subset == "i" || options.subset == "v",
           "speval: expected subset all, i or v, got ", options.subset);
  SP_CHECK(fs::is_directory(options.data_dir), "speval: expected an HPatches folder, got ",
           options.data_dir, "; hint: hpatches-sequences-release/ with <seq>/{1..6}.ppm and H_1_k");
  std::vector<std::string> sequences;
  for (const auto& entry : fs::directory_iterator(options.data_dir)) {
    std::string name = entry.path().filename().string();
    if (!entry.is_directory() || name.size() < 2 || name[1] != '_') continue;
    if (options.subset != "all" && name[0] != options.subset[0]) continue;
    sequences.push_back(name);
  }
  std::sort(sequences.begin(), sequences.end());
  SP_CHECK(!sequences.empty(), "speval: expected sequences (i_*, v_*) in ", options.data_dir);
  const features::FeatureReader file(options.predictions);
  const bool need_desc = options.homography || options.matching_score || options.nn_map;
  std::string desc_flags;  // the flags that need descriptors, for the error message
  for (auto [on, flag] : {std::pair{options.homography, "--homography"},
                          {options.matching_score, "--matching-score"},
                          {options.nn_map, "--nn-map"}})
    if (on) desc_flags += (desc_flags.empty() ? "" : ", ") + std::string(flag);

  HPatchesReport report;
  for (const std::string& seq : sequences) {
    fs::path dir = fs::path(options.data_dir) / seq;
    auto read_sequence_image = [&](int k) {
      fs::path path;
      for (const char* ext : {".ppm", ".pgm", ".png", ".jpg"}) {
        path = dir / (std::to_string(k) + ext);
        if (fs::exists(path)) break;
      }
      SP_CHECK(fs::exists(path), "speval: expected image ",
               (dir / (std::to_string(k) + ".ppm")).string(), " (or .pgm/.png/.jpg)");
      return data::read_image(path.string());
    };
    auto size_of = [](const Tensor& img) {
      return ImageSize{double(img.size(2)), double(img.size(1))};
    };
    Tensor image1 = read_sequence_image(1);
    ImageSize orig1 = size_of(image1);
    ImageFeatures f1 = load_features(file, seq + "/1", orig1, desc_flags);
    double seq_rep = 0;
    for (int k = 2; k <= 6; ++k) {
      Tensor imagek = read_sequence_image(k);
      ImageSize origk = size_of(imagek);
      ImageFeatures fk = load_features(file, seq + "/" + std::to_string(k), origk, desc_flags);
      Eigen::Matrix3d H = scaling(origk, fk.size) *
                          read_homography_file((dir / ("H_1_" + std::to_string(k))).string()) *
                          scaling(orig1, f1.size).inverse();
      PairRecord rec{seq, k, {}};
      if (options.repeatability) {
        RepeatabilityResult r = repeatability(f1.keypoints, f1.scores, fk.keypoints, fk.scores, H,
                                              f1.size, fk.size, options.threshold, options.top_k);
        rec.values["repeatability"] = r.repeatability;
        rec.values["mle"] = r.localization_error;
        seq_rep += r.repeatability;
      }
      if (need_desc) {
        DescriptorOptions dopt;
        dopt.top_k = options.top_k;
        dopt.correct_threshold = options.threshold;
        dopt.ransac.threshold = options.ransac_threshold;
        dopt.ransac.seed = options.seed;
        DescriptorResult d =
            descriptor_metrics(f1.keypoints, f1.scores, f1.descriptors, fk.keypoints, fk.scores,
                               fk.descriptors, H, f1.size, fk.size, dopt);
        rec.values["num_matches"] = d.num_matches;
        if (options.homography) {
          rec.values["corner_error"] = d.corner_error;
          rec.values["num_inliers"] = d.num_inliers;
          for (size_t e = 0; e < dopt.epsilons.size(); ++e)
            rec.values["correct_" + std::to_string(int(dopt.epsilons[e]))] = d.correct[e];
        }
        if (options.matching_score) rec.values["matching_score"] = d.matching_score;
        if (options.nn_map) rec.values["nn_ap"] = d.nn_ap;
        if (!options.pictures_dir.empty())
          write_pair_picture(options.pictures_dir, seq, k, image1, f1, imagek, fk, d);
      }
      report.pairs.push_back(std::move(rec));
    }
    if (options.progress) {
      *options.progress << "speval: " << seq << " (" << report.pairs.size() / 5 << "/"
                        << sequences.size() << ")";
      if (options.repeatability)
        *options.progress << " repeatability " << std::setprecision(3) << seq_rep / 5;
      *options.progress << "\n";
    }
  }

  auto& s = report.summary;
  s["num_pairs"] = double(report.pairs.size());
  if (options.repeatability) {
    s["repeatability"] = mean_of(report.pairs, "repeatability");
    s["mle"] = mean_of(report.pairs, "mle");
  }
  if (options.homography) {
    std::vector<double> errors;
    for (const PairRecord& p : report.pairs) errors.push_back(p.values.at("corner_error"));
    for (const char* e : {"1", "3", "5"})
      s[std::string("homography_correct_") + e] =
          mean_of(report.pairs, std::string("correct_") + e);
    std::vector<double> aucs = error_auc(errors, {1, 3, 5});
    s["homography_auc_1"] = aucs[0];
    s["homography_auc_3"] = aucs[1];
    s["homography_auc_5"] = aucs[2];
    s["homography_mAA"] = (aucs[0] + aucs[1] + aucs[2]) / 3;
  }
  if (options.matching_score) s["matching_score"] = mean_of(report.pairs, "matching_score");
  if (options.nn_map) s["nn_map"] = mean_of(report.pairs, "nn_ap");
  return report;
}

namespace {
std::string json_number(double v) {
  if (!std::isfinite(v)) return "null";
  std::ostringstream o;
  o << std::setprecision(10) << v;
  return o.str();
}
}  // namespace

std::string report_json(const HPatchesReport& report, const HPatchesOptions& options) {
  std::ostringstream o;
  o << "{\n  \"benchmark\": \"" << (options.subset == "pose" ? "pose" : "hpatches")
    << "\",\n  \"subset\": \"" << options.subset << "\",\n  \"top_k\": " << options.top_k
    << ",\n  \"threshold\": " << json_number(options.threshold) << ",\n  \"summary\": {";
  bool first = true;
  for (const auto& [k, v] : report.summary) {
    o << (first ? "\n" : ",\n") << "    \"" << k << "\": " << json_number(v);
    first = false;
  }
  o << "\n  },\n  \"pairs\": [";
  for (size_t i = 0; i < report.pairs.size(); ++i) {
    const PairRecord& p = report.pairs[i];
    o << (i ? ",\n" : "\n") << "    {\"sequence\": \"" << p.sequence
      << "\", \"index\": " << p.index;
    for (const auto& [k, v] : p.values) o << ", \"" << k << "\": " << json_number(v);
    o << "}";
  }
  o << "\n  ]\n}\n";
  return o.str();
}

std::string report_table(const HPatchesReport& report) {
  std::ostringstream o;
  o << std::left << std::setw(26) << "metric"
    << "value\n"
    << std::string(36, '-') << "\n";
  for (const auto& [k, v] : report.summary)
    o << std::setw(26) << k << std::setprecision(4) << v << "\n";
  return o.str();
}

}  // namespace sp::eval

// speval: grades exported features (HDF5, docs/EVALUATION.md) on HPatches.
//   speval --repeatability --homography [--matching-score --nn-map] --data-dir DIR
//          --predictions PRED.h5 [--subset all|i|v] [--out results.json] [--top-k N]
//          [--threshold PX] [--pictures DIR]
//   speval --pose --pairs PAIRS.txt|POSED_DIR --predictions FEATS.h5 [--matches M.h5]
//          [--pose-estimator opencv|lo-ransac] [--ransac-threshold PX | --sweep]
//          [--save-matches FILE] [--out results.json]
//   speval --pose --pairs PAIRS.txt --images DIR --checkpoint FILE --model superpoint
//          [--resize W H | --resize-max N | --no-resize] [--max-pairs N]   (or --experiment)
//   speval --data-dir DIR --features FEATS (--matcher NAME [--matcher-conf K=V ...]
//          [--weights FILE] | --matches M.h5) [--ransac-th PX | -1] [--resize-short 480]
//          [--dlt-solver lu|svd] [--dlt-uniform-weights] [--keep-large] [--top-k N]
//          Glue Factory's HPatches protocol for matchers (eval/matcher_hpatches.h)
// or grades an sp model directly (exported to a temporary HDF5 first,
// procedures/hpatches_export.h):
//   speval ... --data-dir DIR --checkpoint FILE --model superpoint|disk [--conf FILE] [--device D]
//   speval ... --data-dir DIR --experiment NAME [--device D] [--save-predictions FILE]
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "eval/hpatches_benchmark.h"
#include "eval/matcher_hpatches.h"
#include "eval/pose_benchmark.h"
#include "models/extractor.h"
#include "procedures/benchmarks.h"
#include "procedures/commands.h"
#include "procedures/matcher_hpatches.h"
#include "tensor/check.h"

namespace {

// --checkpoint/--experiment: export the model's HPatches predictions to `output`.
void export_model_predictions(const std::string& checkpoint, const std::string& model,
                              const std::string& conf, const std::string& experiment,
                              const std::string& device_spec, const sp::eval::HPatchesOptions& opt,
                              const std::string& output) {
  namespace procedures = sp::procedures;
  const sp::Device device = procedures::parse_device(device_spec);
  sp::train::Config config = conf.empty() ? sp::train::Config::from_string("", "<defaults>")
                                          : sp::train::Config::from_file(conf);
  sp::train::ConfigReader reader(config);
  procedures::InferenceModel m =
      experiment.empty() ? procedures::load_inference_model(reader, model, checkpoint, device)
                         : procedures::load_experiment_model(experiment, device);
  procedures::HPatchesExportOptions eo = procedures::read_hpatches_export_config(reader);
  reader.finish();
  std::string desc_flags;  // the requested metrics that grade descriptors
  for (auto [on, flag] : {std::pair{opt.homography, "--homography"},
                          {opt.matching_score, "--matching-score"},
                          {opt.nn_map, "--nn-map"}})
    if (on) desc_flags += (desc_flags.empty() ? "" : ", ") + std::string(flag);
  SP_CHECK(desc_flags.empty() || m.model->has_descriptors(), "speval: ", desc_flags,
           " grade descriptors, and ", m.description,
           " has none (a detector-only model); hint: --repeatability needs keypoints only");
  if (experiment.empty()) m.load();
  eo.data_dir = opt.data_dir;
  eo.subset = opt.subset;
  eo.output = output;
  eo.progress = opt.progress;
  if (opt.progress)
    *opt.progress << "speval: exporting " << m.description << " on " << m.device << "\n";
  procedures::export_hpatches_predictions(*m.model, eo);
}

// `--matcher NAME` / `--matches` with `--data-dir`: Glue Factory's HPatches protocol.
int run_matcher_mode(const sp::eval::HPatchesOptions& opt, const sp::procedures::MatcherSpec& spec,
                     sp::eval::MatcherHPatchesOptions mo, bool quiet, const std::string& out) {
  try {
    mo.data_dir = opt.data_dir;
    mo.features = opt.predictions;
    mo.subset = opt.subset;
    SP_CHECK(!mo.features.empty(), "speval: expected --features (a feature file or DISK folder)");
    if (!quiet) mo.progress = &std::cerr;
    sp::eval::MatchFunction match;
    if (mo.matches.empty()) {
      match = sp::procedures::make_match_function(spec);
      if (!quiet) std::cerr << "speval: matching with '" << spec.name << "'\n";
    }
    const sp::eval::HPatchesReport report = sp::eval::run_matcher_hpatches(mo, match);
    std::cout << sp::eval::report_table(report);
    if (!out.empty()) {
      std::ofstream f(out);
      SP_CHECK(f.good(), "speval: expected a writable output file, got ", out);
      sp::eval::HPatchesOptions jo = opt;
      jo.top_k = mo.top_k;
      f << sp::eval::report_json(report, jo);
      SP_CHECK(f.good(), "speval: failed writing ", out);
    }
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  sp::eval::HPatchesOptions opt;
  opt.repeatability = opt.homography = false;
  std::string out;
  bool quiet = false, pose = false, sweep = false, no_resize = false;
  std::string pairs, images, matches, save_matches, estimator = "opencv";
  std::vector<int64_t> resize_wh;
  int64_t resize_max = 0, max_pairs = 0;
  std::string checkpoint, model = "superpoint", conf, experiment, device, save_predictions;
  sp::procedures::MatcherSpec matcher_spec;
  std::vector<std::string> matcher_conf;
  std::string weights, dlt_solver = "lu";
  sp::eval::MatcherHPatchesOptions mo;
  bool keep_large = false;
  CLI::App app{"speval: HPatches and relative-pose metrics of exported predictions or models"};
  app.add_option("--matcher", matcher_spec.name,
                 "Glue Factory's HPatches protocol with this registered matcher "
                 "(nearest_neighbor, lightglue, superglue, ...) on --features");
  app.add_option("--matcher-conf", matcher_conf,
                 "--matcher config entry key=value (repeatable), e.g. ratio_threshold=0.8");
  app.add_option("--weights", weights, "--matcher: pretrained weights (config key 'weights')");
  app.add_option("--resize-short", mo.resize,
                 "--matcher/--matches: short side of the evaluation frame (GF: 480; 0 = none)");
  app.add_option("--dlt-solver", dlt_solver, "--matcher/--matches: lu (kornia's default) | svd")
      ->check(CLI::IsMember({"lu", "svd"}));
  app.add_flag("--dlt-uniform-weights", mo.eval.dlt_uniform_weights,
               "--matcher/--matches: DLT weights 1 instead of the matching scores");
  app.add_flag("--keep-large", keep_large,
               "--matcher/--matches: keep GF's 8 ignored large sequences");
  app.add_flag("--repeatability", opt.repeatability, "repeatability and localization error (MLE)");
  app.add_flag("--homography", opt.homography,
               "homography estimation correctness at 1/3/5 px, AUC, mAA");
  app.add_flag("--matching-score", opt.matching_score, "matching score");
  app.add_flag("--nn-map", opt.nn_map, "nearest-neighbour mAP");
  app.add_flag("--pose", pose,
               "relative pose AUC at 5/10/20 deg over a SuperGlue pair list or a posed-images "
               "folder (--pairs)");
  app.add_option("--pairs", pairs,
                 "pair list (name0 name1 rot0 rot1 K0 K1 T_0to1) or a folder with views.txt, "
                 "pairs.txt, images/ (MegaDepth-1500)");
  app.add_option("--images", images, "--pose with a model: the images of a pair list");
  app.add_option("--matches", matches,
                 "--pose: hloc match file instead of mutual NN matching; with --data-dir: "
                 "precomputed matches (hloc .h5 or DISK folder) graded by GF's protocol");
  app.add_option("--pose-estimator", estimator, "--pose: opencv | lo-ransac")
      ->check(CLI::IsMember({"opencv", "lo-ransac"}));
  app.add_flag("--sweep", sweep,
               "--pose, --matcher: RANSAC thresholds 0.5 ... 3.0 px, best mAA reported");
  app.add_option("--save-matches", save_matches,
                 "--pose: the matches and ground truth of every pair (.h5) for external checks "
                 "(scripts/pose_external_check.py)");
  app.add_option("--resize", resize_wh, "--pose with a model: W H (default 640 480)")->expected(2);
  app.add_option("--resize-max", resize_max, "--pose with a model: longest side");
  app.add_flag("--no-resize", no_resize, "--pose with a model: original resolution");
  app.add_option("--max-pairs", max_pairs, "--pose with a model: the first N pairs");
  app.add_option("--data-dir", opt.data_dir, "hpatches-sequences-release/");
  app.add_option("--predictions,--features", opt.predictions,
                 "predictions .h5 (groups <sequence>/<index>), hloc .h5 or DISK folder");
  app.add_option("--checkpoint", checkpoint,
                 "grade an sp model: its weights (.h5 checkpoint/state dict, .pth)");
  app.add_option("--model", model, "with --checkpoint: magicpoint | superpoint | disk")
      ->check(CLI::IsMember({"magicpoint", "superpoint", "disk"}));
  app.add_option("--conf", conf,
                 "with --checkpoint: TOML with [model] (and [data] size/resize) tables");
  app.add_option("--experiment", experiment, "grade an sp experiment's newest checkpoint");
  app.add_option("--device", device,
                 "cpu | cuda:N for --checkpoint/--experiment (default: cuda:0 if usable)");
  app.add_option("--save-predictions", save_predictions, "keep the exported predictions .h5 here");
  app.add_option("--subset", opt.subset, "all | i | v")->check(CLI::IsMember({"all", "i", "v"}));
  app.add_option("--out", out, "write the results as JSON");
  app.add_option("--pictures", opt.pictures_dir, "folder for one match picture (PNG) per pair");
  app.add_option("--top-k", opt.top_k, "points kept per image by score (<= 0: all)");
  app.add_option("--threshold", opt.threshold, "px: repeatability distance and match correctness");
  app.add_option("--ransac-threshold,--ransac-th", opt.ransac_threshold,
                 "px: RANSAC inlier threshold (--matcher: default 1; -1 = GF's sweep)");
  app.add_option("--seed", opt.seed, "RANSAC seed");
  app.add_flag("--quiet", quiet, "no per-sequence progress");
  CLI11_PARSE(app, argc, argv);
  if (!pose && (!matcher_spec.name.empty() || (!matches.empty() && !opt.data_dir.empty()))) {
    if (!matcher_spec.name.empty() == !matches.empty()) {
      std::cerr << "speval: expected exactly one of --matcher and --matches\n";
      return 2;
    }
    try {
      for (const std::string& e : matcher_conf) sp::procedures::add_matcher_entry(matcher_spec, e);
    } catch (const std::exception& e) {
      std::cerr << e.what() << "\n";
      return 2;
    }
    if (!weights.empty()) matcher_spec.config["weights"] = weights;
    matcher_spec.device = device;
    mo.matches = matches;
    mo.top_k = app.count("--top-k") ? opt.top_k : 0;
    mo.ignore_large = !keep_large;
    mo.eval.dlt_solver = dlt_solver == "svd" ? sp::eval::DltSolver::Svd : sp::eval::DltSolver::Lu;
    mo.eval.ransac.seed = opt.seed;
    const double th = app.count("--ransac-threshold") ? opt.ransac_threshold : 1.0;
    mo.eval.ransac_thresholds =
        sweep || th < 0 ? sp::eval::threshold_sweep() : std::vector<double>{th};
    if (opt.data_dir.empty()) {
      std::cerr << "speval: expected --data-dir with --matcher\n";
      return 2;
    }
    return run_matcher_mode(opt, matcher_spec, mo, quiet, out);
  }
  if (pose) {
    try {
      SP_CHECK(!pairs.empty(), "speval: expected --pairs with --pose");
      sp::eval::PoseEvalOptions eo;
      eo.estimator = sp::geometry::parse_pose_estimator(estimator);
      eo.ransac_thresholds =
          sweep ? sp::eval::threshold_sweep()
                : std::vector<double>{app.count("--ransac-threshold") ? opt.ransac_threshold : 1.0};
      eo.seed = opt.seed;
      sp::eval::HPatchesReport report;
      if (!checkpoint.empty() || !experiment.empty()) {
        namespace procedures = sp::procedures;
        const sp::Device dev = procedures::parse_device(device);
        sp::train::Config config = conf.empty() ? sp::train::Config::from_string("", "<defaults>")
                                                : sp::train::Config::from_file(conf);
        sp::train::ConfigReader reader(config);
        procedures::InferenceModel m =
            experiment.empty() ? procedures::load_inference_model(reader, model, checkpoint, dev)
                               : procedures::load_experiment_model(experiment, dev);
        if (experiment.empty()) {
          reader.finish();
          m.load();
        }
        procedures::ModelPoseOptions po;
        po.pairs = pairs;
        po.images = images;
        po.eval = eo;
        po.max_pairs = max_pairs;
        po.save_matches = save_matches;
        if (no_resize) {
          po.resize.mode = "none";
        } else if (resize_max > 0) {
          po.resize.mode = "long";
          po.resize.size = resize_max;
        } else {
          po.resize.mode = "exact";
          po.resize.width = resize_wh.size() == 2 ? resize_wh[0] : 640;
          po.resize.height = resize_wh.size() == 2 ? resize_wh[1] : 480;
        }
        if (!quiet) po.progress = &std::cerr;
        if (!quiet) std::cerr << "speval: pose benchmark of " << m.description << "\n";
        report = procedures::model_pose_benchmark(*m.model, po);
      } else {
        sp::eval::PoseOptions popt;
        popt.pairs = pairs;
        popt.predictions = opt.predictions;
        popt.matches = matches;
        popt.eval = eo;
        popt.save_matches = save_matches;
        if (!quiet) popt.progress = &std::cerr;
        report = sp::eval::run_pose_benchmark(popt);
      }
      std::cout << sp::eval::report_table(report);
      if (!out.empty()) {
        std::ofstream f(out);
        SP_CHECK(f.good(), "speval: expected a writable output file, got ", out);
        opt.subset = "pose";
        f << sp::eval::report_json(report, opt);
      }
    } catch (const sp::Error& e) {
      std::cerr << e.what() << "\n";
      return 1;
    }
    return 0;
  }
  if (opt.data_dir.empty()) {
    std::cerr << "speval: expected --data-dir for the HPatches metrics\n";
    return 2;
  }
  if (!opt.repeatability && !opt.homography && !opt.matching_score && !opt.nn_map) {
    std::cerr << "speval: expected at least one of --repeatability --homography --matching-score "
                 "--nn-map\n";
    return 2;
  }
  const bool from_model = !checkpoint.empty() || !experiment.empty();
  if (from_model == !opt.predictions.empty()) {
    std::cerr << "speval: expected exactly one of --predictions, --checkpoint, --experiment\n";
    return 2;
  }
  std::string temporary;
  try {
    if (!quiet) opt.progress = &std::cerr;
    if (from_model) {
      temporary = save_predictions.empty() ? (std::filesystem::temp_directory_path() /
                                              ("speval_" + std::to_string(getpid()) + ".h5"))
                                                 .string()
                                           : save_predictions;
      export_model_predictions(checkpoint, model, conf, experiment, device, opt, temporary);
      opt.predictions = temporary;
      if (!save_predictions.empty()) temporary.clear();
    }
    sp::eval::HPatchesReport report = sp::eval::run_hpatches(opt);
    std::cout << sp::eval::report_table(report);
    if (!out.empty()) {
      std::ofstream f(out);
      SP_CHECK(f.good(), "speval: expected a writable output file, got ", out);
      f << sp::eval::report_json(report, opt);
      SP_CHECK(f.good(), "speval: failed writing ", out);
    }
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    if (!temporary.empty()) std::filesystem::remove(temporary);
    return 1;
  }
  if (!temporary.empty()) std::filesystem::remove(temporary);
  return 0;
}

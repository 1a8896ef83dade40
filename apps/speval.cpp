// speval: grades exported features (HDF5, docs/EVALUATION.md) on HPatches.
//   speval --repeatability --homography [--matching-score --nn-map] --data-dir DIR
//          --predictions PRED.h5 [--subset all|i|v] [--out results.json] [--top-k N]
//          [--threshold PX] [--pictures DIR]
//   speval --pose --pairs PAIRS.txt --predictions FEATS.h5 [--ransac-threshold PX]
#include <fstream>
#include <iostream>

#include <CLI/CLI.hpp>

#include "eval/hpatches_benchmark.h"
#include "eval/pose_benchmark.h"
#include "tensor/check.h"

int main(int argc, char** argv) {
  sp::eval::HPatchesOptions opt;
  opt.repeatability = opt.homography = false;
  std::string out;
  bool quiet = false, pose = false;
  std::string pairs;
  CLI::App app{"speval: HPatches detector/descriptor metrics of exported predictions"};
  app.add_flag("--repeatability", opt.repeatability, "repeatability and localization error (MLE)");
  app.add_flag("--homography", opt.homography, "homography estimation correctness at 1/3/5 px, AUC, mAA");
  app.add_flag("--matching-score", opt.matching_score, "matching score");
  app.add_flag("--nn-map", opt.nn_map, "nearest-neighbour mAP");
  app.add_flag("--pose", pose, "relative pose AUC at 5/10/20 deg over a SuperGlue pair list (--pairs)");
  app.add_option("--pairs", pairs, "pair list: name0 name1 rot0 rot1 K0 K1 T_0to1");
  app.add_option("--data-dir", opt.data_dir, "hpatches-sequences-release/");
  app.add_option("--predictions", opt.predictions, "predictions .h5 (groups <sequence>/<index>)")->required();
  app.add_option("--subset", opt.subset, "all | i | v")->check(CLI::IsMember({"all", "i", "v"}));
  app.add_option("--out", out, "write the results as JSON");
  app.add_option("--pictures", opt.pictures_dir, "folder for one match picture (PNG) per pair");
  app.add_option("--top-k", opt.top_k, "points kept per image by score (<= 0: all)");
  app.add_option("--threshold", opt.threshold, "px: repeatability distance and match correctness");
  app.add_option("--ransac-threshold", opt.ransac_threshold, "px: RANSAC inlier threshold");
  app.add_option("--seed", opt.seed, "RANSAC seed");
  app.add_flag("--quiet", quiet, "no per-sequence progress");
  CLI11_PARSE(app, argc, argv);
  if (pose) {
    try {
      sp::eval::PoseOptions popt;
      popt.pairs = pairs;
      popt.predictions = opt.predictions;
      if (app.count("--ransac-threshold")) popt.ransac_threshold = opt.ransac_threshold;
      popt.seed = opt.seed;
      if (!quiet) popt.progress = &std::cerr;
      SP_CHECK(!pairs.empty(), "speval: expected --pairs with --pose");
      sp::eval::HPatchesReport report = sp::eval::run_pose_benchmark(popt);
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
    std::cerr << "speval: expected at least one of --repeatability --homography --matching-score --nn-map\n";
    return 2;
  }
  try {
    if (!quiet) opt.progress = &std::cerr;
    sp::eval::HPatchesReport report = sp::eval::run_hpatches(opt);
    std::cout << sp::eval::report_table(report);
    if (!out.empty()) {
      std::ofstream f(out);
      SP_CHECK(f.good(), "speval: expected a writable output file, got ", out);
      f << sp::eval::report_json(report, opt);
      SP_CHECK(f.good(), "speval: failed writing ", out);
    }
  } catch (const sp::Error& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
  return 0;
}

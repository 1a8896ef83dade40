// spmatch: matches of spdetect's features (procedures/match_features.h).
//   spmatch OUT [--pairs FILE] [--rt 0.95] [--save-threshold 100]
//           [--matcher nn | lightglue | superglue --weights FILE [--images DIR]]
//           [--format disk|hloc] [--output FILE] [--u16] [--overwrite] [--device D]
// Without --pairs every pair of images is matched (DISK's match.py).
#include <CLI/CLI.hpp>
#include <iostream>

#include "procedures/match_features.h"
#include "tensor/check.h"

int main(int argc, char** argv) {
  sp::procedures::MatchCommand c;
  std::string exhaustive;
  CLI::App app{"spmatch: matches of spdetect's features (mutual nearest neighbours or LightGlue)"};
  app.add_option("OUT", c.features, "spdetect's output (folder, or hloc .h5)")->required();
  app.add_option("MODE", exhaustive, "exhaustive (the default without --pairs)")
      ->check(CLI::IsMember({"exhaustive"}));
  app.add_option("--pairs", c.pairs, "pair list: 'name0 name1' per line");
  app.add_option("--rt", c.ratio_threshold, "ratio test threshold (>= 1: none)");
  app.add_option("--save-threshold", c.save_threshold, "write pairs with at least this many");
  app.add_option("--matcher", c.matcher, "nn | lightglue | superglue")
      ->check(CLI::IsMember({"nn", "lightglue", "superglue"}));
  app.add_option("--weights", c.weights, "lightglue, superglue: weights (.pth or sp .h5)");
  app.add_option("--images", c.images,
                 "lightglue, superglue: image folder (sizes for DISK's layout)");
  app.add_option("--format", c.format, "disk | hloc (default: the features' layout)")
      ->check(CLI::IsMember({"disk", "hloc"}));
  app.add_option("--output", c.output, "matches file (default: OUT/matches.h5)");
  app.add_option("--batch-size", c.batch_size, "pairs per batch (default: by memory)");
  app.add_flag("--u16", c.half, "DISK layout: uint16 indices");
  app.add_flag("--overwrite", c.overwrite, "replace a matches file in the way");
  app.add_option("--device", c.device, "cpu | cuda:N (default: cuda:0 if usable)");
  CLI11_PARSE(app, argc, argv);
  if (!exhaustive.empty() && !c.pairs.empty()) {
    std::cerr << "spmatch: expected --pairs or exhaustive, got both\n";
    return 2;
  }
  c.progress = &std::cerr;
  try {
    sp::procedures::match_features(c);
    return 0;
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
}

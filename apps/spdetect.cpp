// spdetect: local features of every image below a folder (procedures/detect_features.h).
//   spdetect IMAGES OUT [--extractor disk|superpoint|magicpoint] [--height H --width W]
//            [--n N] [--window 5] [--threshold T] [--model-path FILE] [--format disk|hloc]
//            [--f16] [--overwrite] [--device D] [--model-option KEY=VALUE ...]
// DISK's detect.py in one line: spdetect IMAGES OUT --model-path depth-save.pth
//   --height 1024 --width 1024 --n 2048. A rerun skips the images already in OUT.
#include <CLI/CLI.hpp>
#include <iostream>

#include "procedures/detect_features.h"
#include "tensor/check.h"

int main(int argc, char** argv) {
  sp::procedures::DetectCommand c;
  double threshold = 0;
  CLI::App app{"spdetect: local features of every image below a folder"};
  app.add_option("IMAGES", c.images, "image folder (searched recursively)")->required();
  app.add_option("OUT", c.output, "output folder (hloc: or the features .h5)")->required();
  app.add_option("--extractor", c.extractor, "disk | superpoint | magicpoint")
      ->check(CLI::IsMember({"disk", "superpoint", "magicpoint"}));
  app.add_option("--model-path", c.model_path, "weights (.pth, or an sp .h5)");
  app.add_option("--height", c.height, "resize into H x W (aspect kept) and pad");
  app.add_option("--width", c.width, "resize into H x W (aspect kept) and pad");
  app.add_option("--n", c.max_keypoints, "keep the N strongest keypoints per image (default all)");
  app.add_option("--window", c.window, "DISK: non-maximum suppression window");
  auto* t = app.add_option("--threshold", threshold, "detection threshold (model's default)");
  app.add_option("--format", c.format, "disk | hloc")->check(CLI::IsMember({"disk", "hloc"}));
  app.add_flag("--f16", c.half, "store descriptors as float16");
  app.add_flag("--overwrite", c.overwrite, "replace feature files in the way");
  app.add_option("--device", c.device, "cpu | cuda:N (default: cuda:0 if usable)");
  std::vector<std::string> options;
  app.add_option("--model-option", options, "KEY=VALUE: a model config entry (repeatable)");
  CLI11_PARSE(app, argc, argv);
  for (const std::string& o : options) {
    const size_t eq = o.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::cerr << "spdetect: expected --model-option KEY=VALUE, got '" << o << "'\n";
      return 2;
    }
    c.model_options[o.substr(0, eq)] = o.substr(eq + 1);
  }
  if (t->count()) c.threshold = threshold;
  c.progress = &std::cerr;
  try {
    const sp::procedures::DetectReport r = sp::procedures::detect_features(c);
    return r.written + r.done > 0 || r.images == 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
}

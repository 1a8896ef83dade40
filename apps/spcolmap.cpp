// spcolmap: a COLMAP database of spdetect's features and spmatch's matches
// (procedures/colmap_export.h), ready for `colmap mapper` / pycolmap's incremental mapping.
//   spcolmap OUT IMAGES --database-path DB [--camera-model simple-radial|pinhole|...]
//            [--single-camera] [--verify] [--max-error 4] [--matches FILE] [--overwrite]
#include <CLI/CLI.hpp>
#include <iostream>

#include "procedures/colmap_export.h"
#include "tensor/check.h"

int main(int argc, char** argv) {
  sp::procedures::ColmapCommand c;
  CLI::App app{"spcolmap: a COLMAP database of sp features and matches"};
  app.add_option("OUT", c.features, "spdetect/spmatch output (folder, or hloc .h5)")->required();
  app.add_option("IMAGES", c.images, "the image folder given to spdetect")->required();
  app.add_option("--database-path", c.database, "the database to write")->required();
  app.add_option("--camera-model", c.camera_model,
                 "simple-pinhole | pinhole | simple-radial | radial | opencv");
  app.add_flag("--single-camera", c.single_camera, "one camera for every image");
  app.add_flag("--verify", c.verify,
               "two-view geometries from sp's RANSAC (fundamental / essential matrix)");
  app.add_option("--max-error", c.max_error, "px: RANSAC inlier threshold of --verify");
  app.add_option("--matches", c.matches, "matches file (default: spmatch's in OUT)");
  app.add_flag("--overwrite", c.overwrite, "replace an existing database");
  CLI11_PARSE(app, argc, argv);
  c.progress = &std::cerr;
  try {
    sp::procedures::export_colmap(c);
    return 0;
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
}

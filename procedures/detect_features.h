// `spdetect IMAGES OUT`: local features of every image below a folder, in DISK's layout
// (OUT/keypoints.h5, descriptors.h5, scores.h5; matchers.md 6.1) or hloc's (OUT/
// features.h5, or OUT itself when it ends in .h5; 6.3), plus OUT/images.txt, the index
// spmatch and spcolmap read (name, path below IMAGES, original width and height).
//
// Names: DISK's are the image's path below IMAGES without extension, '/' replaced by
// '-' (DISK's matches.h5 nests <name0>/<name1>, so a name holds no '/'); hloc's are the
// path below IMAGES. Keypoints are in original-image pixels: DISK's layout divides the
// processing pixel by the resize factor (detect.py), hloc's maps pixel centres
// ((x + 0.5) / f - 0.5). Both store keypoints by descending score.
//
// Resizing (DISK's detect.py): with height and width, an image is scaled by
// f = min(height / H, width / W) (bilinear, aspect kept; the other side floor(f * side))
// and zero-padded bottom/right to exactly height x width; keypoints outside the image
// are dropped. Without them the image is processed at its size: DISK pads to a multiple
// of 16 itself (kornia's pad_if_not_divisible), SuperPoint needs multiples of 8 and an
// image that is not is an error naming it (pass --height/--width).
//
// Robustness: every output file appears atomically. Work is committed every
// `commit_every` images into OUT/.spdetect-partial/ (atomic chunks) and merged into
// the final files at the end, so a run killed at any point loses at most one chunk, and
// a rerun skips the images the final files or the chunks hold. An image that cannot be
// read is named on stderr and skipped. A file in the way that is not a feature file of
// this layout is an error (never overwritten, unless `overwrite`).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "features/feature_files.h"
#include "models/extractor.h"

namespace sp::procedures {

struct DetectCommand {
  std::string images;               // folder, searched recursively
  std::string output;               // OUT
  std::string extractor = "disk";   // disk | superpoint | magicpoint
  std::string model_path;           // weights (.pth or sp .h5); required
  std::string format = "disk";      // disk | hloc
  int64_t height = 0, width = 0;    // both > 0: resize and pad (see above); both 0: none
  int64_t max_keypoints = -1;       // --n: the strongest per image (<= 0: all)
  int64_t window = 5;               // DISK NMS window
  std::optional<double> threshold;  // detection threshold (none: the model's default)
  bool half = false;                // float16 descriptors (DISK --f16, hloc as_half)
  bool overwrite = false;           // replace files in the way instead of failing
  std::string device;               // "" = auto
  int64_t commit_every = 200;       // images per committed chunk
  // More model config entries (models/disk.h, models/superpoint.h keys), e.g. a small
  // network's widths: {"down", "[4, 8, 8, 8, 8]"}. They win over the flags above.
  std::map<std::string, std::string> model_options;
  std::ostream* progress = nullptr;  // progress lines and skipped images
};

struct DetectReport {
  int64_t images = 0;   // found below the folder
  int64_t done = 0;     // already in OUT before this run
  int64_t written = 0;  // detected by this run
  int64_t failed = 0;   // unreadable, named on the progress stream
  double seconds = 0;   // detection time of this run
};

DetectReport detect_features(const DetectCommand& command);

// OUT/images.txt: one "name<TAB>path<TAB>width<TAB>height" line per image, sorted by name.
struct ImageEntry {
  std::string name, path;  // path: below the image folder
  int64_t width = 0, height = 0;
};
std::vector<ImageEntry> read_image_index(const std::string& file);
void write_image_index(const std::string& file, const std::vector<ImageEntry>& entries);

// Where the feature file(s) of a layout live for OUT: the DISK folder, or the hloc file.
std::string feature_path(const std::string& output, features::FeatureLayout layout);
// The index next to them: OUT/images.txt (hloc: next to the .h5, <stem>.images.txt).
std::string image_index_path(const std::string& output, features::FeatureLayout layout);

// Every image below `root` (.jpg .jpeg .png .ppm .pgm, any case), as paths relative to it,
// sorted.
std::vector<std::string> list_image_files(const std::string& root);

// The feature name of an image path below the folder in a layout (see above).
std::string feature_name(const std::string& relative_path, features::FeatureLayout layout);

// The extractor of `command` with its weights loaded, on `device`, in eval mode.
std::shared_ptr<models::Extractor> load_extractor(const DetectCommand& command, Device device);

// Checks that an existing feature file/folder at `path` opens and holds features of
// `layout`, naming the file and what is wrong otherwise; returns its image names.
std::vector<std::string> check_feature_file(const std::string& path,
                                            features::FeatureLayout layout);

}  // namespace sp::procedures

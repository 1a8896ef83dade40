// Feature and match files in the layouts users exchange (matchers.md 6.1 and 6.3), read
// and written in one place for every exporter, evaluator and command:
//
//   sp    one HDF5 file, a group per image ("<sequence>/<k>" for HPatches, the image's
//         path otherwise): keypoints [N, 2], scores [N], descriptors [N, D] f32; group
//         attributes processing_width / processing_height when the features were
//         computed at another resolution (docs/EVALUATION.md).
//   hloc  features.h5: a group per image path: keypoints [N, 2], descriptors [D, N],
//         scores [N] (read also: keypoint_scores), image_size [2] (W, H); float16 with
//         `half`. matches.h5: group "<n0>/<n1>" ('/' in names -> '-'): matches0 [N]
//         int16 (-1 = unmatched), matching_scores0 [N] float16.
//   disk  a folder with keypoints.h5, descriptors.h5 (float16 with `half`) and
//         scores.h5, one dataset per image name (DISK drops the extension);
//         matches.h5: group <n0> -> dataset <n1> (n0 < n1), int64 [2, K] (uint16 with
//         `half`): row 0 indices in n0, row 1 in n1.
//
// Keypoints are stored as given (integer pixel centres, pixels of the original image).
// Writers produce nothing visible until close(): the files appear atomically (written
// next to their destination, fsynced, renamed), so a crash leaves no half-written file.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "features/features.h"
#include "tensor/io/hdf5.h"

namespace sp::features {

enum class FeatureLayout { Sp, Hloc, Disk };
// "sp" | "hloc" | "disk"; anything else throws listing them.
FeatureLayout parse_feature_layout(const std::string& name);
const char* layout_name(FeatureLayout layout);

struct FeatureFileOptions {
  bool half = false;  // hloc: float16 keypoints/scores/descriptors; disk: float16 descriptors,
                      // uint16 matches
};

class FeatureWriter {
 public:
  // `path`: the .h5 file (sp, hloc) or the folder (disk, created if missing).
  FeatureWriter(std::string path, FeatureLayout layout, FeatureFileOptions options = {});
  ~FeatureWriter();  // without close(): the partial files are removed
  FeatureWriter(const FeatureWriter&) = delete;
  FeatureWriter& operator=(const FeatureWriter&) = delete;

  // One image. `attributes` go on the image's group (sp, hloc), e.g. processing_width.
  // hloc: square descriptors (N == D) need the image size, or they would read back
  // transposed (a reader tells hloc's [D, N] from [N, D] by image_size).
  void write(const std::string& name, const ImageFeatures& features,
             const std::map<std::string, int64_t>& attributes = {});
  void close();
  int64_t written() const { return written_; }

 private:
  struct Part;
  std::string path_;
  FeatureLayout layout_;
  FeatureFileOptions options_;
  std::vector<std::unique_ptr<Part>> parts_;  // one per file of the layout
  int64_t written_ = 0;
};

class FeatureReader {
 public:
  // `path`: an .h5 file (sp or hloc: told apart per dataset) or a DISK folder.
  explicit FeatureReader(const std::string& path);
  ~FeatureReader();

  FeatureLayout layout() const { return layout_; }
  // The image names, sorted.
  std::vector<std::string> names() const;
  bool has(const std::string& name) const;
  // f32 keypoints, scores (zeros when the file has none) and descriptors [N, D]
  // (undefined when absent); width/height from image_size when stored. Keypoints and
  // scores are finite; image_size must hold whole pixels >= 1.
  ImageFeatures read(const std::string& name) const;
  // Integer attribute of an image's group (sp, hloc), or `fallback`.
  int64_t attribute(const std::string& name, const std::string& key, int64_t fallback) const;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  FeatureLayout layout_;
  std::unique_ptr<io::H5File> main_;                  // sp/hloc file, or disk keypoints.h5
  std::unique_ptr<io::H5File> descriptors_, scores_;  // disk only (optional)
};

enum class MatchLayout { Hloc, Disk };
MatchLayout parse_match_layout(const std::string& name);  // "hloc" | "disk"

// hloc's pair key: "<n0>/<n1>" with '/' inside each name replaced by '-'.
std::string hloc_pair_key(const std::string& name0, const std::string& name1);

class MatchWriter {
 public:
  MatchWriter(std::string path, MatchLayout layout, FeatureFileOptions options = {});
  ~MatchWriter();
  MatchWriter(const MatchWriter&) = delete;
  MatchWriter& operator=(const MatchWriter&) = delete;

  // The matches of image name0 to name1: matches0 [N] i64 (-1 = unmatched) and their
  // scores [N] (hloc stores them; disk keeps only the pairs).
  void write(const std::string& name0, const std::string& name1, const Tensor& matches0,
             const Tensor& scores0);
  void close();

 private:
  std::string path_, tmp_;
  MatchLayout layout_;
  FeatureFileOptions options_;
  std::unique_ptr<io::H5File> file_;
};

class MatchReader {
 public:
  explicit MatchReader(const std::string& path, MatchLayout layout);
  ~MatchReader();
  bool has(const std::string& name0, const std::string& name1) const;
  // [K, 2] i64 index pairs (column 0 in name0), every index >= 0 (the stored indices
  // must be integers: hloc's matches0 [N] holds -1 or an index); a pair stored the
  // other way round is flipped. Throws naming the file and both names when absent.
  // The indices are not checked against the images' keypoint counts.
  Tensor read(const std::string& name0, const std::string& name1) const;
  // Every stored pair as its two keys, in file order: DISK's <name0>/<name1> (names hold
  // no '/'), hloc's pair groups "<k0>/<k1>" whose keys have '/' flattened to '-'.
  std::vector<std::pair<std::string, std::string>> pairs() const;

 private:
  std::string path_;
  MatchLayout layout_;
  std::unique_ptr<io::H5File> file_;
};

}  // namespace sp::features

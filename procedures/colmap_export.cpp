#include "procedures/colmap_export.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include "colmap/exif.h"
#include "colmap/two_view_geometry.h"
#include "data/image_io.h"
#include "features/feature_files.h"
#include "procedures/detect_features.h"
#include "procedures/match_features.h"
#include "tensor/io/hdf5.h"
#include "train/progress.h"

namespace fs = std::filesystem;

namespace sp::procedures {

namespace {

using colmap::Camera;

// The image entry of every feature name: from OUT's index, else found among the files.
std::map<std::string, ImageEntry> image_entries(const std::string& output,
                                                const std::string& images,
                                                features::FeatureLayout layout,
                                                const std::vector<std::string>& names) {
  std::map<std::string, ImageEntry> out;
  const std::string index = image_index_path(output, layout);
  if (fs::exists(index))
    for (const ImageEntry& e : read_image_index(index)) out[e.name] = e;
  std::map<std::string, std::string> files;
  bool listed = false;
  for (const std::string& name : names) {
    if (out.count(name)) continue;
    if (!listed) {
      for (const std::string& f : list_image_files(images)) files[feature_name(f, layout)] = f;
      listed = true;
    }
    auto it = files.find(name);
    SP_CHECK(it != files.end(), "spcolmap: expected an image for the features of '", name,
             "' below '", images, "', got none; hint: IMAGES must be the folder given to spdetect");
    out[name] = ImageEntry{name, it->second, 0, 0};
  }
  for (const std::string& name : names) {
    ImageEntry& e = out.at(name);
    const fs::path path = fs::path(images) / e.path;
    SP_CHECK(fs::exists(path), "spcolmap: expected the image '", path.string(), "' of '", name,
             "', got none; hint: IMAGES must be the folder given to spdetect");
    if (e.width <= 0 || e.height <= 0) {
      const Tensor image = data::read_image(path.string());
      e.width = image.size(2), e.height = image.size(1);
    }
  }
  return out;
}

Camera camera_of(const ImageEntry& e, const std::string& images, colmap::CameraModel model) {
  Camera c;
  c.model = model;
  c.width = e.width, c.height = e.height;
  const double side = double(std::max(e.width, e.height));
  double focal = 1.2 * side;
  if (auto f35 = colmap::exif_focal_length_35mm((fs::path(images) / e.path).string())) {
    focal = *f35 / 35.0 * side;
    c.prior_focal_length = true;
  }
  c.params = colmap::default_camera_params(model, focal, e.width, e.height);
  return c;
}

bool is_hloc_matches(const std::string& path) {
  io::H5File file(path, io::H5File::Mode::Read);
  for (const std::string& d : file.datasets())
    if (d.size() > 9 && d.compare(d.size() - 9, 9, "/matches0") == 0) return true;
  return false;
}

geometry::Points2 points_of(const features::ImageFeatures& f) {
  const Tensor kp = f.keypoints.to(DType::F64).contiguous();
  geometry::Points2 p(f.size(), 2);
  const double* xy = kp.data<double>();
  for (int64_t i = 0; i < f.size(); ++i) p(i, 0) = xy[2 * i], p(i, 1) = xy[2 * i + 1];
  return p;
}

}  // namespace

ColmapReport export_colmap(const ColmapCommand& c) {
  SP_CHECK(!c.database.empty(), "spcolmap: expected --database-path");
  const colmap::CameraModel model = colmap::parse_camera_model(c.camera_model);
  if (fs::exists(c.database)) {
    if (!c.overwrite) {
      const int64_t n = colmap::check_colmap_database(c.database);
      SP_FAIL("spcolmap: expected no database at '", c.database, "', got a COLMAP database of ", n,
              " images; hint: pass --overwrite to replace it");
    }
  }
  const auto [feature_file, layout] = locate_features(c.features);
  const std::string matches_path =
      c.matches.empty() ? default_matches_path(feature_file, layout) : c.matches;
  SP_CHECK(fs::exists(matches_path), "spcolmap: expected matches at '", matches_path,
           "', got none; hint: run spmatch ", c.features, " first");
  const features::FeatureReader reader(feature_file);
  const std::vector<std::string> names = reader.names();
  const std::map<std::string, ImageEntry> entries =
      image_entries(c.features, c.images, layout, names);
  const bool hloc = is_hloc_matches(matches_path);
  const features::MatchReader match_reader(
      matches_path, hloc ? features::MatchLayout::Hloc : features::MatchLayout::Disk);
  // hloc's pair keys flatten '/' to '-': map them back to feature names.
  std::map<std::string, std::string> name_of_key;
  for (const std::string& n : names) {
    std::string key = n;
    if (hloc) std::replace(key.begin(), key.end(), '/', '-');
    name_of_key[key] = n;
  }

  const std::string tmp = c.database + ".tmp." + std::to_string(::getpid());
  fs::remove(tmp);
  ColmapReport report;
  try {
    colmap::Database db(tmp, colmap::Database::Mode::Create);
    db.begin_transaction();
    std::map<std::string, int64_t> image_id;
    std::map<std::string, features::ImageFeatures> feats;
    std::map<int64_t, Camera> cameras;
    int64_t shared_camera = -1;
    const ImageEntry* first = nullptr;
    for (const std::string& name : names) {
      const ImageEntry& e = entries.at(name);
      int64_t camera_id = shared_camera;
      if (c.single_camera && first) {
        SP_CHECK(e.width == first->width && e.height == first->height,
                 "spcolmap: expected images of one size with --single-camera, got ", first->path,
                 " (", first->width, " x ", first->height, ") and ", e.path, " (", e.width, " x ",
                 e.height, ")");
      } else {
        const Camera camera = camera_of(e, c.images, model);
        camera_id = db.add_camera(camera);
        cameras[camera_id] = camera;
        ++report.cameras;
        if (c.single_camera) shared_camera = camera_id, first = &e;
      }
      const int64_t id = db.add_image(e.path, camera_id);
      image_id[name] = id;
      features::ImageFeatures f = reader.read(name);
      std::vector<float> xy = f.keypoints.to(DType::F32).contiguous().to_vector<float>();
      for (float& v : xy) v += 0.5f;
      db.add_keypoints(id, xy);
      feats[name] = std::move(f);
      ++report.images;
    }
    const auto pairs = match_reader.pairs();
    train::Progress progress("pairs", int64_t(pairs.size()));
    for (const auto& [k0, k1] : pairs) {
      SP_CHECK(name_of_key.count(k0) && name_of_key.count(k1), "spcolmap: expected matches of ",
               "images with features, got the pair '", k0, "' '", k1, "' in ", matches_path);
      const std::string& n0 = name_of_key.at(k0);
      const std::string& n1 = name_of_key.at(k1);
      const Tensor m = match_reader.read(n0, n1).contiguous();  // [K, 2], column 0 in n0
      const int64_t* p = m.data<int64_t>();
      std::vector<std::array<uint32_t, 2>> pairs_k(size_t(m.size(0)));
      const int64_t size0 = feats.at(n0).size(), size1 = feats.at(n1).size();
      for (int64_t k = 0; k < m.size(0); ++k) {
        SP_CHECK(p[2 * k] >= 0 && p[2 * k] < size0 && p[2 * k + 1] >= 0 && p[2 * k + 1] < size1,
                 "spcolmap: expected match indices below ", size0, " and ", size1, " for '", n0,
                 "' '", n1, "' in ", matches_path, ", got (", p[2 * k], ", ", p[2 * k + 1], ")");
        pairs_k[size_t(k)] = {uint32_t(p[2 * k]), uint32_t(p[2 * k + 1])};
      }
      const int64_t id0 = image_id.at(n0), id1 = image_id.at(n1);
      db.add_matches(id0, id1, pairs_k);
      ++report.pairs;
      report.matches += int64_t(pairs_k.size());
      if (c.verify) {
        colmap::VerifyOptions vo;
        vo.max_error = c.max_error;
        vo.seed = uint64_t(report.pairs);
        const colmap::TwoViewGeometry g = colmap::verify_matches(
            points_of(feats.at(n0)), points_of(feats.at(n1)), pairs_k,
            cameras.at(db.camera_of_image(id0)), cameras.at(db.camera_of_image(id1)), vo);
        db.add_two_view_geometry(id0, id1, g);
        if (g.config != colmap::TwoViewConfig::Degenerate) {
          ++report.verified_pairs;
          report.inliers += int64_t(g.inliers.size());
        }
      }
      if (c.progress) progress.update(report.pairs);
    }
    if (c.progress) progress.finish();
    db.commit_transaction();
    db.close();
    io::commit_file(tmp, c.database);
  } catch (...) {
    fs::remove(tmp);
    throw;
  }
  if (c.progress) {
    *c.progress << "spcolmap: " << report.images << " images, " << report.cameras << " cameras, "
                << report.pairs << " matched pairs (" << report.matches << " matches)";
    if (c.verify)
      *c.progress << ", " << report.verified_pairs << " verified (" << report.inliers
                  << " inliers)";
    *c.progress << " -> " << c.database << "\nnext: colmap mapper --database_path " << c.database
                << " --image_path " << c.images << " --output_path SPARSE_DIR"
                << (c.verify ? ""
                             : "  (after colmap matches_importer or exhaustive_matcher: "
                               "the matches are not verified)")
                << "\n";
  }
  return report;
}

}  // namespace sp::procedures

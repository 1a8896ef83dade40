#include "procedures/hpatches_export.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "autograd/grad_mode.h"
#include "data/datasets.h"
#include "data/image_io.h"
#include "features/feature_files.h"
#include "tensor/ops/creation.h"

namespace fs = std::filesystem;

namespace sp::procedures {

namespace {

bool is_sequence(const fs::directory_entry& e) {
  const std::string n = e.path().filename().string();
  return e.is_directory() && n.size() >= 2 && (n[0] == 'i' || n[0] == 'v') && n[1] == '_';
}

bool holds_sequences(const fs::path& dir) {
  if (!fs::is_directory(dir)) return false;
  for (const auto& e : fs::directory_iterator(dir))
    if (is_sequence(e)) return true;
  return false;
}

fs::path sequence_image(const fs::path& dir, int k) {
  for (const char* ext : {".ppm", ".pgm", ".png", ".jpg"}) {
    fs::path p = dir / (std::to_string(k) + ext);
    if (fs::exists(p)) return p;
  }
  SP_FAIL("export_descriptor: expected image ", (dir / (std::to_string(k) + ".ppm")).string(),
          " (or .pgm/.png/.jpg)");
}

// Image [C, h, w] -> the model's input [C, H, W] and the map original -> input pixels.
Tensor prepare(const Tensor& image, const HPatchesExportOptions& o, int64_t multiple,
               data::Mat3& to_input, std::array<int64_t, 2>& processing) {
  const int64_t h = image.size(1), w = image.size(2);
  if (o.resize == "crop") {
    Tensor out = data::resize_and_crop(image, o.size, to_input);
    // The uncropped resized size: to_input's scale is nw / w, nh / h.
    processing = {std::lround(to_input(1, 1) * double(h)), std::lround(to_input(0, 0) * double(w))};
    return out;
  }
  const double s = std::max(double(o.size[0]) / double(h), double(o.size[1]) / double(w));
  const double m = double(multiple);
  const int64_t nh = std::max<int64_t>(multiple, std::lround(double(h) * s / m) * multiple);
  const int64_t nw = std::max<int64_t>(multiple, std::lround(double(w) * s / m) * multiple);
  const double sx = double(nw) / double(w), sy = double(nh) / double(h);
  to_input << sx, 0, 0.5 * sx - 0.5, 0, sy, 0.5 * sy - 0.5, 0, 0, 1;
  processing = {nh, nw};
  return data::resize(image, nh, nw, data::Interp::Linear);
}

}  // namespace

std::string hpatches_sequences_dir(const std::string& data_dir) {
  for (const fs::path& p : {fs::path(data_dir), fs::path(data_dir) / "hpatches-sequences-release",
                            fs::path(data_dir) / "HPatches"})
    if (holds_sequences(p)) return p.string();
  SP_FAIL("export_descriptor: expected HPatches sequences (i_*, v_*) in '", data_dir,
          "' or its hpatches-sequences-release/ or HPatches/, got none");
}

int64_t export_hpatches_predictions(models::Extractor& model, const HPatchesExportOptions& o) {
  SP_CHECK(o.subset == "all" || o.subset == "i" || o.subset == "v",
           "export_descriptor: expected subset all|i|v, got '", o.subset, "'");
  SP_CHECK(o.resize == "crop" || o.resize == "fit",
           "export_descriptor: expected resize crop|fit, got '", o.resize, "'");
  const int64_t multiple = model.image_size_multiple();
  SP_CHECK(o.size[0] > 0 && o.size[1] > 0 && o.size[0] % multiple == 0 && o.size[1] % multiple == 0,
           "export_descriptor: expected a size of positive multiples of ", multiple, " for ",
           model.type_name(), ", got [", o.size[0], ", ", o.size[1], "]");
  const int64_t channels = model.input_channels();
  SP_CHECK(channels == 1 || channels == 3,
           "export_descriptor: expected a model of gray or RGB images, got ", model.type_name(),
           " with ", channels, " input channels");
  SP_CHECK(!o.output.empty(), "export_descriptor: expected an output .h5 path");
  const fs::path root = hpatches_sequences_dir(o.data_dir);
  std::vector<std::string> sequences;
  for (const auto& e : fs::directory_iterator(root)) {
    const std::string n = e.path().filename().string();
    if (is_sequence(e) && (o.subset == "all" || n[0] == o.subset[0])) sequences.push_back(n);
  }
  std::sort(sequences.begin(), sequences.end());
  SP_CHECK(!sequences.empty(), "export_descriptor: expected ", o.subset, " sequences in '",
           root.string(), "'");
  const Device device =
      model.parameters().empty() ? kCPU : model.parameters().front().data().device();
  ag::NoGradGuard no_grad;
  features::FeatureWriter writer(o.output, features::FeatureLayout::Sp);
  for (const std::string& seq : sequences) {
    int64_t points = 0;
    for (int k = 1; k <= 6; ++k) {
      const fs::path path = sequence_image(root / seq, k);
      data::Mat3 to_input;
      std::array<int64_t, 2> processing{};
      Tensor input;
      try {
        // Gray models see gray images; RGB models see gray ones (v_boat) repeated to RGB.
        Tensor image = data::read_image(path.string(), channels == 1);
        if (image.size(0) != channels)
          image = image.expand({channels, image.size(1), image.size(2)}).contiguous();
        input = prepare(image, o, multiple, to_input, processing);
      } catch (const Error& e) {
        SP_FAIL("export_descriptor: failed on '", path.string(), "': ", e.what());
      }
      features::ImageFeatures f = model.extract(input.unsqueeze(0).to(device)).image(0).to(kCPU);
      // Input pixels -> original pixels.
      const data::Mat3 back = to_input.inverse();
      std::vector<float> xy = f.keypoints.contiguous().to_vector<float>();
      for (size_t i = 0; i + 1 < xy.size(); i += 2) {
        Eigen::Vector3d q = back * Eigen::Vector3d(xy[i], xy[i + 1], 1.0);
        xy[i] = float(q.x() / q.z()), xy[i + 1] = float(q.y() / q.z());
      }
      f.keypoints = from_vector<float>(xy, Shape{f.size(), 2});
      writer.write(seq + "/" + std::to_string(k), f,
                   {{"processing_height", processing[0]}, {"processing_width", processing[1]}});
      points += f.size();
    }
    if (o.progress)
      *o.progress << "export_descriptor: " << seq << " (" << points / 6 << " points per image)\n";
  }
  writer.close();
  return writer.written();
}

}  // namespace sp::procedures

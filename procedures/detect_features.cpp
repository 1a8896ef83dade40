#include "procedures/detect_features.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <future>
#include <iomanip>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include "autograd/grad_mode.h"
#include "data/image_io.h"
#include "procedures/commands.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/index.h"
#include "tensor/ops/movement.h"
#include "tensor/ops/sample.h"
#include "train/interrupt.h"
#include "train/progress.h"

namespace fs = std::filesystem;

namespace sp::procedures {

using features::FeatureLayout;

namespace {

bool is_image_file(const fs::path& p) {
  std::string e = p.extension().string();
  std::transform(e.begin(), e.end(), e.begin(), ::tolower);
  return e == ".jpg" || e == ".jpeg" || e == ".png" || e == ".ppm" || e == ".pgm";
}

std::string number(double v) {
  std::ostringstream s;
  s << std::setprecision(17) << v;
  return s.str();
}

// The image as the model takes it: `channels` channels (gray repeated to RGB, RGB to
// gray), on the CPU.
Tensor read_for(const std::string& path, int64_t channels) {
  Tensor image = data::read_image(path, channels == 1);
  if (image.size(0) == channels) return image;
  if (channels == 3) return image.expand({3, image.size(1), image.size(2)}).contiguous();
  return data::rgb_to_gray(image);
}

struct Processing {
  Tensor input;       // [C, h, w] on the device
  double factor = 1;  // processing pixels per original pixel
};

// detect.py's resize: scale by f into height x width, then zero-pad bottom/right.
Processing prepare(const Tensor& image, const DetectCommand& c, int64_t multiple,
                   const std::string& path, Device device) {
  Processing p;
  const int64_t H = image.size(1), W = image.size(2);
  p.input = image.to(device);
  if (c.height <= 0) {
    SP_CHECK(multiple <= 1 || (H % multiple == 0 && W % multiple == 0),
             "spdetect: expected an image whose sides are multiples of ", multiple, " for ",
             c.extractor, ", got ", W, " x ", H, " in '", path,
             "'; hint: --height H --width W resizes and pads every image");
    return p;
  }
  const double fy = double(H) / double(c.height), fx = double(W) / double(c.width);
  p.factor = 1.0 / std::max(fy, fx);
  int64_t nh = c.height, nw = c.width;
  if (fy > fx)
    nw = std::max<int64_t>(1, int64_t(p.factor * double(W)));
  else
    nh = std::max<int64_t>(1, int64_t(p.factor * double(H)));
  Tensor resized = interpolate(p.input.unsqueeze(0), nh, nw, InterpMode::Bilinear, false);
  p.input = pad(resized, {0, c.width - nw, 0, c.height - nh}).squeeze(0);
  return p;
}

// Processing pixels -> original pixels, keypoints outside the image dropped, sorted by
// descending score (ties: the extractor's order).
features::ImageFeatures to_original(const features::ImageFeatures& f, double factor,
                                    FeatureLayout layout, int64_t W, int64_t H) {
  const Tensor kp = f.keypoints.to(DType::F32).cpu().contiguous();
  const Tensor sc = f.scores.to(DType::F32).cpu().contiguous();
  const float* xy = kp.data<float>();
  const float* s = sc.data<float>();
  std::vector<int64_t> keep;
  std::vector<float> out_xy;
  for (int64_t i = 0; i < f.size(); ++i) {
    double x = xy[2 * i], y = xy[2 * i + 1];
    if (layout == FeatureLayout::Hloc) {
      x = (x + 0.5) / factor - 0.5, y = (y + 0.5) / factor - 0.5;
    } else {
      x /= factor, y /= factor;
    }
    // DISK: 0 <= x < W (detect.py); hloc: inside the pixel-centre frame.
    const double lo = layout == FeatureLayout::Hloc ? -0.5 : 0.0;
    if (!(x >= lo && x < double(W) + lo && y >= lo && y < double(H) + lo)) continue;
    keep.push_back(i);
    out_xy.push_back(float(x)), out_xy.push_back(float(y));
  }
  std::vector<size_t> order(keep.size());
  for (size_t k = 0; k < order.size(); ++k) order[k] = k;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return s[keep[a]] > s[keep[b]]; });
  std::vector<float> xy_sorted, scores;
  std::vector<int64_t> rows;
  for (size_t k : order) {
    xy_sorted.push_back(out_xy[2 * k]), xy_sorted.push_back(out_xy[2 * k + 1]);
    scores.push_back(s[keep[k]]);
    rows.push_back(keep[k]);
  }
  const int64_t n = int64_t(rows.size());
  features::ImageFeatures out;
  out.keypoints = from_vector<float>(xy_sorted, Shape{n, 2});
  out.scores = from_vector<float>(scores, Shape{n});
  if (f.has_descriptors())
    out.descriptors =
        index_select(f.descriptors.cpu(), 0, from_vector<int64_t>(rows, Shape{n})).contiguous();
  out.width = W, out.height = H;
  return out;
}

std::string partial_dir(const std::string& output, FeatureLayout layout) {
  return layout == FeatureLayout::Disk ? (fs::path(output) / ".spdetect-partial").string()
                                       : feature_path(output, layout) + ".partial";
}

// A committed chunk: a folder with the layout's feature file(s) and images.txt.
std::string chunk_features(const fs::path& chunk, FeatureLayout layout) {
  return layout == FeatureLayout::Disk ? chunk.string() : (chunk / "features.h5").string();
}

std::vector<fs::path> committed_chunks(const std::string& dir) {
  std::vector<fs::path> out;
  if (!fs::is_directory(dir)) return out;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string n = e.path().filename().string();
    if (!e.is_directory()) continue;
    if (n.size() > 4 && n.compare(n.size() - 4, 4, ".tmp") == 0)
      fs::remove_all(e.path());  // a chunk a crash left half-written
    else if (n.rfind("chunk-", 0) == 0)
      out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string chunk_name(int64_t k) {
  std::ostringstream s;
  s << "chunk-" << std::setw(6) << std::setfill('0') << k;
  return s.str();
}

// Collects one chunk of results and commits it as a whole (folder rename).
class ChunkWriter {
 public:
  ChunkWriter(std::string dir, FeatureLayout layout, features::FeatureFileOptions options,
              int64_t next)
      : dir_(std::move(dir)), layout_(layout), options_(options), next_(next) {}
  void add(const std::string& name, const features::ImageFeatures& f, const ImageEntry& entry) {
    if (!writer_) {
      tmp_ = fs::path(dir_) / (chunk_name(next_) + ".tmp");
      fs::create_directories(tmp_);
      writer_ = std::make_unique<features::FeatureWriter>(chunk_features(tmp_, layout_), layout_,
                                                          options_);
    }
    writer_->write(name, f);
    entries_.push_back(entry);
  }
  void commit() {
    if (!writer_) return;
    writer_->close();
    writer_.reset();
    write_image_index((tmp_ / "images.txt").string(), entries_);
    fs::rename(tmp_, fs::path(dir_) / chunk_name(next_++));
    entries_.clear();
  }
  int64_t pending() const { return int64_t(entries_.size()); }

 private:
  std::string dir_;
  FeatureLayout layout_;
  features::FeatureFileOptions options_;
  int64_t next_;
  fs::path tmp_;
  std::unique_ptr<features::FeatureWriter> writer_;
  std::vector<ImageEntry> entries_;
};

// Whether the final feature file(s) exist: DISK's folder holds the partial chunks too, so
// its keypoints.h5 is what tells.
bool has_final_features(const std::string& final_path, FeatureLayout layout) {
  return layout == FeatureLayout::Disk ? fs::exists(fs::path(final_path) / "keypoints.h5")
                                       : fs::exists(final_path);
}

// Final files = the existing final files updated with every chunk (later wins), written
// atomically file by file; the chunks are removed only afterwards.
void merge(const DetectCommand& c, FeatureLayout layout, const std::vector<fs::path>& chunks) {
  const std::string final_path = feature_path(c.output, layout);
  std::map<std::string, std::pair<std::shared_ptr<features::FeatureReader>, bool>> source;
  std::map<std::string, ImageEntry> index;
  std::vector<std::shared_ptr<features::FeatureReader>> readers;
  auto add_source = [&](const std::string& path, const std::string& index_file) {
    auto reader = std::make_shared<features::FeatureReader>(path);
    readers.push_back(reader);
    for (const std::string& n : reader->names()) source[n] = {reader, true};
    if (fs::exists(index_file))
      for (const ImageEntry& e : read_image_index(index_file)) index[e.name] = e;
  };
  if (has_final_features(final_path, layout))
    add_source(final_path, image_index_path(c.output, layout));
  for (const fs::path& chunk : chunks)
    add_source(chunk_features(chunk, layout), (chunk / "images.txt").string());
  features::FeatureWriter writer(final_path, layout, {.half = c.half});
  for (const auto& [name, src] : source) writer.write(name, src.first->read(name));
  writer.close();
  std::vector<ImageEntry> entries;
  for (const auto& [name, e] : index) entries.push_back(e);
  write_image_index(image_index_path(c.output, layout), entries);
  readers.clear();
  for (const fs::path& chunk : chunks) fs::remove_all(chunk);
  fs::remove(partial_dir(c.output, layout));  // only when empty
}

}  // namespace

std::string feature_path(const std::string& output, FeatureLayout layout) {
  if (layout == FeatureLayout::Disk) return output;
  if (fs::path(output).extension() == ".h5") return output;
  return (fs::path(output) / "features.h5").string();
}

std::string image_index_path(const std::string& output, FeatureLayout layout) {
  if (layout == FeatureLayout::Hloc && fs::path(output).extension() == ".h5") {
    fs::path p(output);
    return (p.parent_path() / (p.stem().string() + ".images.txt")).string();
  }
  return (fs::path(output) / "images.txt").string();
}

std::vector<std::string> list_image_files(const std::string& root) {
  SP_CHECK(fs::is_directory(root), "spdetect: expected an image folder, got '", root,
           "' (missing or not a folder)");
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(root))
    if (e.is_regular_file() && is_image_file(e.path()))
      out.push_back(fs::relative(e.path(), root).generic_string());
  std::sort(out.begin(), out.end());
  return out;
}

std::string feature_name(const std::string& relative_path, FeatureLayout layout) {
  if (layout != FeatureLayout::Disk) return relative_path;
  const fs::path p(relative_path);
  std::string name = (p.parent_path() / p.stem()).generic_string();
  std::replace(name.begin(), name.end(), '/', '-');
  return name;
}

std::vector<ImageEntry> read_image_index(const std::string& file) {
  std::ifstream in(file);
  SP_CHECK(in.good(), "image index: expected a readable file, got '", file, "'");
  std::vector<ImageEntry> out;
  std::string line;
  int64_t number_of_line = 0;
  while (std::getline(in, line)) {
    ++number_of_line;
    if (line.empty()) continue;
    std::vector<std::string> fields;
    std::stringstream s(line);
    for (std::string f; std::getline(s, f, '\t');) fields.push_back(f);
    SP_CHECK(fields.size() == 4, "image index: expected name<TAB>path<TAB>width<TAB>height in ",
             file, ":", number_of_line, ", got '", line, "'");
    ImageEntry e{fields[0], fields[1], 0, 0};
    try {
      e.width = std::stoll(fields[2]), e.height = std::stoll(fields[3]);
    } catch (const std::exception&) {
      SP_FAIL("image index: expected integer width and height in ", file, ":", number_of_line,
              ", got '", line, "'");
    }
    out.push_back(e);
  }
  return out;
}

void write_image_index(const std::string& file, const std::vector<ImageEntry>& entries) {
  const std::string tmp = file + ".tmp";
  {
    std::ofstream out(tmp);
    SP_CHECK(out.good(), "image index: expected a writable file, got '", tmp, "'");
    for (const ImageEntry& e : entries)
      out << e.name << '\t' << e.path << '\t' << e.width << '\t' << e.height << '\n';
    out.flush();
    SP_CHECK(out.good(), "image index: failed writing '", tmp, "'");
  }
  fs::rename(tmp, file);
}

std::vector<std::string> check_feature_file(const std::string& path, FeatureLayout layout) {
  const std::string what =
      layout == FeatureLayout::Disk ? (fs::path(path) / "keypoints.h5").string() : path;
  std::vector<std::string> names;
  try {
    features::FeatureReader reader(path);
    SP_CHECK((reader.layout() == FeatureLayout::Disk) == (layout == FeatureLayout::Disk),
             "expected a ", features::layout_name(layout), " feature ",
             layout == FeatureLayout::Disk ? "folder" : "file");
    names = reader.names();
    for (const std::string& n : names) {
      const features::ImageFeatures f = reader.read(n);
      SP_CHECK(f.has_descriptors(), "expected descriptors of '", n, "'");
    }
    SP_CHECK(!names.empty() || layout == FeatureLayout::Disk ||
                 io::H5File(path, io::H5File::Mode::Read).datasets().empty(),
             "expected groups <image>/keypoints, got other datasets");
  } catch (const Error& e) {
    SP_FAIL("features: expected '", what, "' to be a ", features::layout_name(layout),
            " feature file, got one that is not (", e.what(),
            "); hint: move it away, or pass --overwrite to replace it");
  }
  return names;
}

std::shared_ptr<models::Extractor> load_extractor(const DetectCommand& c, Device device) {
  models::register_builtin_models();
  SP_CHECK(c.extractor == "disk" || c.extractor == "superpoint" || c.extractor == "magicpoint",
           "spdetect: expected --extractor disk | superpoint | magicpoint, got '", c.extractor,
           "'");
  std::map<std::string, std::string> values;
  const bool disk = c.extractor == "disk";
  if (c.max_keypoints > 0)
    values[disk ? "max_keypoints" : "top_k"] = std::to_string(c.max_keypoints);
  if (disk) values["nms_window"] = std::to_string(c.window);
  if (c.threshold) values["detection_threshold"] = number(*c.threshold);
  for (const auto& [key, value] : c.model_options) values[key] = value;
  models::MapConfig config(values);
  auto model =
      std::dynamic_pointer_cast<models::Extractor>(models::create_model(c.extractor, config));
  SP_ASSERT(model != nullptr);
  SP_CHECK(!c.model_path.empty(), "spdetect: expected --model-path (the ", c.extractor,
           " weights, e.g. DISK's official depth-save.pth)");
  SP_CHECK(fs::exists(c.model_path), "spdetect: expected a weights file, got '", c.model_path,
           "' (missing)");
  model->load_pretrained(c.model_path);
  model->to(device);
  model->eval();
  return model;
}

DetectReport detect_features(const DetectCommand& c) {
  const FeatureLayout layout = features::parse_feature_layout(c.format);
  SP_CHECK(layout != FeatureLayout::Sp, "spdetect: expected --format disk | hloc, got 'sp'");
  SP_CHECK((c.height > 0) == (c.width > 0) && c.height >= 0 && c.width >= 0,
           "spdetect: expected both --height and --width (or neither), got ", c.height, " and ",
           c.width);
  SP_CHECK(!c.output.empty(), "spdetect: expected an output folder");
  const std::vector<std::string> files = list_image_files(c.images);
  std::map<std::string, std::string> path_of;
  for (const std::string& f : files) {
    const std::string name = feature_name(f, layout);
    SP_CHECK(!path_of.count(name), "spdetect: expected one image per name, got '", path_of[name],
             "' and '", f, "' both named '", name, "'");
    path_of[name] = f;
  }
  const std::string final_path = feature_path(c.output, layout);
  const std::string partial = partial_dir(c.output, layout);
  if (c.overwrite) {
    if (layout == FeatureLayout::Disk)
      for (const char* f : {"keypoints.h5", "descriptors.h5", "scores.h5", "images.txt"})
        fs::remove(fs::path(c.output) / f);
    else
      fs::remove(final_path), fs::remove(image_index_path(c.output, layout));
    fs::remove_all(partial);
  }
  // What is done already: the final files (checked) and the committed chunks.
  std::set<std::string> done;
  if (has_final_features(final_path, layout))
    for (const std::string& n : check_feature_file(final_path, layout)) done.insert(n);
  std::vector<fs::path> chunks = committed_chunks(partial);
  for (const fs::path& chunk : chunks)
    for (const std::string& n : features::FeatureReader(chunk_features(chunk, layout)).names())
      done.insert(n);
  std::vector<std::string> todo;
  for (const auto& [name, file] : path_of)
    if (!done.count(name)) todo.push_back(name);

  DetectReport report;
  report.images = int64_t(files.size());
  report.done = report.images - int64_t(todo.size());
  std::ostream* log = c.progress;
  if (todo.empty()) {
    if (!chunks.empty()) merge(c, layout, chunks);
    if (log) *log << "spdetect: all " << report.images << " images already in " << c.output << "\n";
    return report;
  }
  const Device device = parse_device(c.device);
  std::shared_ptr<models::Extractor> model = load_extractor(c, device);
  const int64_t channels = model->input_channels(), multiple = model->image_size_multiple();
  if (c.height > 0)
    SP_CHECK(c.height % multiple == 0 && c.width % multiple == 0,
             "spdetect: expected --height and --width multiples of ", multiple, " for ",
             c.extractor, ", got ", c.height, " and ", c.width);
  if (log)
    *log << "spdetect: " << c.extractor << " (" << c.model_path << ") on " << device << ", "
         << todo.size() << " images to do, " << report.done << " already in " << c.output << "\n";

  ChunkWriter chunk(
      partial, layout, {.half = c.half},
      chunks.empty() ? 0 : std::stoll(chunks.back().filename().string().substr(6)) + 1);
  train::InterruptGuard interrupt_guard;
  train::Progress progress("images", report.images, report.done);
  ag::NoGradGuard no_grad;
  auto load = [&](const std::string& name) {
    return read_for((fs::path(c.images) / path_of.at(name)).string(), channels);
  };
  std::future<Tensor> next = std::async(std::launch::async, load, todo.front());
  const auto t0 = std::chrono::steady_clock::now();
  int64_t handled = report.done;
  for (size_t k = 0; k < todo.size(); ++k) {
    const std::string& name = todo[k];
    const std::string path = (fs::path(c.images) / path_of.at(name)).string();
    std::future<Tensor> current = std::move(next);
    if (k + 1 < todo.size()) next = std::async(std::launch::async, load, todo[k + 1]);
    try {
      const Tensor image = current.get();
      const int64_t H = image.size(1), W = image.size(2);
      const Processing p = prepare(image, c, multiple, path, device);
      const features::ImageFeatures f = model->extract(p.input.unsqueeze(0)).image(0).to(kCPU);
      chunk.add(name, to_original(f, p.factor, layout, W, H), {name, path_of.at(name), W, H});
      ++report.written;
    } catch (const Error& e) {
      ++report.failed;
      if (log) *log << "spdetect: skipping '" << path << "': " << e.what() << "\n";
    }
    ++handled;
    if (chunk.pending() >= std::max<int64_t>(1, c.commit_every)) chunk.commit();
    if (log) progress.update(handled);
    if (train::interrupt_requested()) {
      if (log) *log << "spdetect: interrupted; writing what is done (rerun to continue)\n";
      break;
    }
  }
  if (next.valid()) next.wait();
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  chunk.commit();
  if (log) progress.finish();
  chunks = committed_chunks(partial);
  if (!chunks.empty()) merge(c, layout, chunks);
  train::clear_interrupt();
  if (log)
    *log << "spdetect: " << report.written << " images written, " << report.done
         << " already there, " << report.failed << " skipped"
         << (report.written > 0
                 ? ", " + number(double(report.written) / report.seconds) + " images/s"
                 : std::string())
         << " -> " << final_path << "\n";
  return report;
}

}  // namespace sp::procedures

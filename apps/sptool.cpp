// sptool: weight-file utilities.
//   sptool convert IN.pth OUT.h5 [--select state_dict] [--strip-prefix module.]
//       writes the .pth / .pth.tar tensors as an sp state_dict HDF5 (atomically) that
//       nn::load_weights reads back; without --select a checkpoint dict's
//       "model_state_dict" / "state_dict" is taken.
//   sptool inspect FILE   keys, dtypes and shapes of a .pth or an sp/other HDF5 file.
#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include "nn/checkpoint.h"
#include "nn/pth.h"
#include "tensor/check.h"
#include "tensor/io/hdf5.h"

namespace {

void require_file(const std::string& path) {
  SP_CHECK(std::filesystem::is_regular_file(path), "sptool: expected an existing file, got '", path,
           "'");
}

bool is_hdf5(const std::string& path) {
  static const char kMagic[8] = {'\x89', 'H', 'D', 'F', '\r', '\n', '\x1a', '\n'};
  char head[8] = {};
  std::ifstream in(path, std::ios::binary);
  in.read(head, 8);
  return in.gcount() == 8 && std::equal(head, head + 8, kMagic);
}

// The first dotted component of every key ("state_dict", "optimizer", "conv1", ...).
std::string top_level_keys(const std::map<std::string, sp::Tensor>& all) {
  std::set<std::string> tops;
  for (auto& [k, v] : all) tops.insert(k.substr(0, k.find('.')));
  std::ostringstream s;
  for (auto it = tops.begin(); it != tops.end(); ++it) s << (it == tops.begin() ? "" : ", ") << *it;
  return s.str();
}

void print_tensors(const std::map<std::string, sp::Tensor>& tensors) {
  size_t width = 0;
  int64_t total = 0;
  for (auto& [k, v] : tensors) width = std::max(width, k.size());
  for (auto& [k, v] : tensors) {
    std::cout << k << std::string(width + 2 - k.size(), ' ') << v.dtype() << "  " << v.shape()
              << "\n";
    total += v.numel();
  }
  std::cout << tensors.size() << " tensors, " << total << " elements\n";
}

int convert(const std::string& in, const std::string& out, const sp::nn::PthOptions& options) {
  require_file(in);
  SP_CHECK(!is_hdf5(in),
           "sptool convert: expected a torch.save file (.pth, .pt, .pth.tar), got the HDF5 file '",
           in, "'; hint: it is already in sp's format");
  if (!options.select.empty()) {
    auto all = sp::nn::load_pth(in);
    bool found = false;
    for (auto& [k, v] : all)
      found = found || k.rfind(options.select + ".", 0) == 0 || k == options.select;
    SP_CHECK(found, "sptool: expected --select '", options.select, "' to name a dict in ", in,
             ", got top-level keys: ", top_level_keys(all));
  }
  // Without --select, a checkpoint dict's model_state_dict / state_dict is taken.
  auto state = sp::nn::load_pth_weights(in, options);
  SP_CHECK(!state.empty(), "sptool convert: expected tensors in ", in, ", got none");
  sp::nn::save_state_dict_file(out, state);
  std::cout << "wrote " << state.size() << " tensors to " << out << "\n";
  return 0;
}

int inspect(const std::string& path) {
  require_file(path);
  if (is_hdf5(path)) {
    sp::io::H5File f(path, sp::io::H5File::Mode::Read);
    if (f.has_attr("", "format")) std::cout << "format: " << f.attr_string("", "format") << "\n";
    print_tensors(sp::io::read_all(path));
  } else {
    print_tensors(sp::nn::load_pth(path));
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"sptool: convert and inspect weight files"};
  app.require_subcommand(1);
  std::string in, out, file;
  sp::nn::PthOptions options;
  CLI::App* conv = app.add_subcommand("convert", "PyTorch .pth -> sp state_dict HDF5");
  conv->add_option("input", in, "the .pth file (torch.save)")->required();
  conv->add_option("output", out, "the .h5 file to write")->required();
  conv->add_option("--select", options.select, "keep the entries under this key, e.g. state_dict");
  conv->add_option("--strip-prefix", options.strip_prefix, "remove this key prefix, e.g. module.");
  CLI::App* insp = app.add_subcommand("inspect", "keys, dtypes and shapes of a .pth or .h5 file");
  insp->add_option("file", file, "a .pth or .h5 file")->required();
  CLI11_PARSE(app, argc, argv);
  try {
    if (conv->parsed()) return convert(in, out, options);
    return inspect(file);
  } catch (const sp::Error& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
}

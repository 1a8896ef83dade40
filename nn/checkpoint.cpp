#include "nn/checkpoint.h"

#include <cstring>

#include "tensor/io/hdf5.h"
#include "tensor/ops/creation.h"

namespace sp::nn {
namespace {

constexpr const char* kCheckpointFormat = "sp-checkpoint";
constexpr const char* kStateDictFormat = "sp-state-dict";
constexpr int64_t kVersion = 1;

int64_t bits_of(uint64_t v) {
  int64_t s;
  std::memcpy(&s, &v, 8);
  return s;
}
uint64_t bits_of(int64_t v) {
  uint64_t u;
  std::memcpy(&u, &v, 8);
  return u;
}

void write_group(io::H5File& f, const std::string& group, const TensorMap& tensors) {
  for (const auto& [key, t] : tensors) {
    SP_CHECK(!key.empty() && key.find('/') == std::string::npos,
             "checkpoint: expected dotted keys without '/', got '", key, "' in ", group);
    SP_CHECK(t.defined(), "checkpoint: expected a defined tensor for ", group, "/", key);
    f.write(group.empty() ? key : group + "/" + key, t);
  }
}

TensorMap read_group(const io::H5File& f, const std::string& group) {
  TensorMap out;
  if (!f.has(group)) return out;
  for (const std::string& name : f.children(group)) out[name] = f.read(group + "/" + name);
  return out;
}

// Opens `path` for reading and checks the format attribute.
std::string format_of(const io::H5File& f) {
  SP_CHECK(f.has_attr("", "format"), "checkpoint: expected an sp checkpoint or state_dict at ",
           f.path(),
           ", got an HDF5 file without a 'format' attribute; hint: convert PyTorch weights with "
           "convert_pth");
  std::string format = f.attr_string("", "format");
  SP_CHECK(format == kCheckpointFormat || format == kStateDictFormat,
           "checkpoint: expected format '", kCheckpointFormat, "' or '", kStateDictFormat, "' in ",
           f.path(), ", got '", format, "'");
  int64_t version = f.attr_int("", "version");
  SP_CHECK(version <= kVersion, "checkpoint: expected version <= ", kVersion, " in ", f.path(),
           ", got ", version, "; hint: written by a newer sp");
  return format;
}

}  // namespace

void save_checkpoint(const std::string& path, const Checkpoint& c) {
  io::write_atomically(path, [&](io::H5File& f) {
    f.set_attr("", "format", std::string(kCheckpointFormat));
    f.set_attr("", "version", kVersion);
    f.set_attr("", "step", c.step);
    f.set_attr("", "rng_seed", bits_of(c.rng_seed));
    f.set_attr("", "rng_offset", bits_of(c.rng_offset));
    write_group(f, "parameters", c.parameters);
    write_group(f, "buffers", c.buffers);
    write_group(f, "optimizer", c.optimizer);
    std::vector<uint8_t> text(c.config.begin(), c.config.end());
    f.write("config", from_vector(text, {int64_t(text.size())}));
  });
}

Checkpoint load_checkpoint(const std::string& path) {
  io::H5File f(path, io::H5File::Mode::Read);
  SP_CHECK(format_of(f) == kCheckpointFormat, "checkpoint: expected a training checkpoint at ",
           path, ", got a plain state_dict; hint: load it with load_state_dict_file");
  Checkpoint c;
  c.step = f.attr_int("", "step");
  c.rng_seed = bits_of(f.attr_int("", "rng_seed"));
  c.rng_offset = bits_of(f.attr_int("", "rng_offset"));
  c.parameters = read_group(f, "parameters");
  c.buffers = read_group(f, "buffers");
  c.optimizer = read_group(f, "optimizer");
  Tensor text = f.read("config");
  SP_CHECK(text.dtype() == DType::U8 && text.dim() == 1,
           "checkpoint: expected /config as u8 text in ", path, ", got ", text.meta());
  auto bytes = text.to_vector<uint8_t>();
  c.config.assign(bytes.begin(), bytes.end());
  return c;
}

void save_state_dict_file(const std::string& path, const TensorMap& state) {
  io::write_atomically(path, [&](io::H5File& f) {
    f.set_attr("", "format", std::string(kStateDictFormat));
    f.set_attr("", "version", kVersion);
    write_group(f, "", state);
  });
}

TensorMap load_state_dict_file(const std::string& path) {
  io::H5File f(path, io::H5File::Mode::Read);
  if (format_of(f) == kStateDictFormat) {
    TensorMap out;
    for (const std::string& name : f.children("")) out[name] = f.read(name);
    return out;
  }
  TensorMap out = read_group(f, "parameters");
  for (auto& [k, v] : read_group(f, "buffers")) out[k] = v;
  return out;
}

size_t convert_pth(const std::string& pth_path, const std::string& h5_path,
                   const PthOptions& options) {
  TensorMap state = load_pth(pth_path, options);
  SP_CHECK(!state.empty(), "pth: expected tensors in ", pth_path, ", got none");
  save_state_dict_file(h5_path, state);
  return state.size();
}

}  // namespace sp::nn

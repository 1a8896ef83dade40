// HDF5 files of tensors: fixtures, checkpoints, labels, predictions. Datasets are named
// by '/'-separated paths ("conv1a/weight", "v_graffiti/1/keypoints"); intermediate
// groups are created on write. Every error names the file and the dataset.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tensor/tensor.h"

namespace sp::io {

class H5File {
 public:
  enum class Mode { Read, ReadWrite, Truncate };
  H5File(const std::string& path, Mode mode);
  ~H5File();
  H5File(const H5File&) = delete;
  H5File& operator=(const H5File&) = delete;

  const std::string& path() const { return path_; }
  bool has(const std::string& name) const;  // a dataset or group at that path
  // Names of every dataset below `group` ("" = the whole file), sorted, with full paths.
  std::vector<std::string> datasets(const std::string& group = "") const;
  // Direct children (groups and datasets) of a group.
  std::vector<std::string> children(const std::string& group = "") const;

  Tensor read(const std::string& name) const;            // on the CPU, in the file's element type
  void write(const std::string& name, const Tensor& t);  // replaces an existing dataset
  // Writes `t` converted to a narrower type in the file, stored the way h5py stores
  // numpy's float16 (IEEE half), int16 and uint16: hloc's and DISK's compact layouts.
  // Integers out of range are an error naming the dataset.
  enum class FileType { Float16, Int16, UInt16 };
  void write_as(const std::string& name, const Tensor& t, FileType type);

  // Attributes on a dataset or group ("" = the root group).
  void set_attr(const std::string& object, const std::string& key, const std::string& value);
  void set_attr(const std::string& object, const std::string& key, double value);
  void set_attr(const std::string& object, const std::string& key, int64_t value);
  bool has_attr(const std::string& object, const std::string& key) const;
  std::string attr_string(const std::string& object, const std::string& key) const;
  double attr_double(const std::string& object, const std::string& key) const;
  int64_t attr_int(const std::string& object, const std::string& key) const;

  void flush();
  // Flushes and closes the file now (the destructor closes silently): errors, such as a
  // full disk, are thrown naming the file. Nothing may be called on it afterwards.
  void close();

 private:
  std::string path_;
  int64_t id_ = -1;  // hid_t
};

// Every dataset of a file, read onto the CPU.
std::map<std::string, Tensor> read_all(const std::string& path);

// Writes a file atomically: `fill` writes into a temporary file next to `path`, which
// is then flushed, fsync'ed and renamed over `path`. On any error the temporary file is
// removed and `path` is untouched.
void write_atomically(const std::string& path, const std::function<void(H5File&)>& fill);

// Fsyncs and renames `tmp` to `path`, then fsyncs the folder (shared by other writers).
void commit_file(const std::string& tmp, const std::string& path);

}  // namespace sp::io

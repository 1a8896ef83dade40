// Local features and matches of image batches: the contract between extractors, matchers,
// evaluators and feature files (matchers.md 1.1 and 1.6). Where they cross a batch
// boundary they carry Glue Factory's key names with the view's suffix: keypoints0,
// keypoint_scores0, descriptors0, matches0, matching_scores0, ...
//
// Dimension letters: B images, N keypoints of image 0 (padded), M of image 1, D
// descriptor size. Keypoints are (x, y) pixels of the image as given to the extractor,
// integer pixel centres (an image of width W spans -0.5 <= x < W - 0.5).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tensor/tensor.h"

namespace sp::features {

// Tensors by name: a data batch, or a model's inputs and outputs.
using NamedTensors = std::map<std::string, Tensor>;

// One image's features, without padding.
struct ImageFeatures {
  Tensor keypoints;               // [N, 2] f32
  Tensor scores;                  // [N] f32
  Tensor descriptors;             // [N, D] f32; undefined for a detector without descriptors
  int64_t width = 0, height = 0;  // the image's size in pixels (0: unknown)

  int64_t size() const { return keypoints.defined() ? keypoints.size(0) : 0; }
  bool has_descriptors() const { return descriptors.defined(); }
  ImageFeatures to(Device device) const;
  // Checks the shapes above, naming `what` ("features of image3.jpg") in the error.
  void check(const std::string& what) const;
};

// A batch of features, padded to a common N. Padding entries have mask false, zero
// keypoints, scores and descriptors; they never match (features/nearest_neighbor.h).
struct Features {
  Tensor keypoints;    // [B, N, 2] f32
  Tensor scores;       // [B, N] f32
  Tensor descriptors;  // [B, N, D] f32; undefined without descriptors
  Tensor mask;         // [B, N] bool: true for real keypoints
  Tensor image_size;   // [B, 2] f32 (width, height)

  int64_t batch_size() const { return keypoints.size(0); }
  int64_t max_keypoints() const { return keypoints.size(1); }
  bool has_descriptors() const { return descriptors.defined(); }
  Device device() const { return keypoints.device(); }
  Features to(Device device) const;
  // The real keypoints of image b (in the order of the batch), on this batch's device.
  ImageFeatures image(int64_t b) const;
  // Real keypoints per image, on the CPU.
  std::vector<int64_t> counts() const;
  // Checks shapes, dtypes and devices, naming `what` in the error.
  void check(const std::string& what) const;

  // keypoints<suffix>, keypoint_scores<suffix>, descriptors<suffix>,
  // keypoint_mask<suffix>, image_size<suffix>.
  void put(NamedTensors& batch, const std::string& suffix) const;
  // The inverse of put(). Only keypoints<suffix> is required: without a mask every
  // keypoint is real, without scores they are 0, without image_size it is 0 (unknown).
  static Features take(const NamedTensors& batch, const std::string& suffix);
};

// Stacks images into a batch padded to `length` keypoints (the longest image when
// length <= 0). An image with more keypoints than `length` keeps its `length`
// best-scored ones (ties: the earlier). Every image must have descriptors of the same
// size, or none does. Result on `device`.
Features pad(const std::vector<ImageFeatures>& images, int64_t length = 0, Device device = kCPU);

// Matches of image 0's keypoints to image 1's and back.
struct Matches {
  Tensor matches0;          // [B, N] i64: index in image 1, or -1
  Tensor matching_scores0;  // [B, N] f32, 0 where unmatched
  Tensor matches1;          // [B, M] i64: index in image 0, or -1
  Tensor matching_scores1;  // [B, M] f32
  Tensor log_assignment;    // [B, N + 1, M + 1] f32 (matchers with a dustbin), optional

  int64_t batch_size() const { return matches0.size(0); }
  Matches to(Device device) const;
  // The matched pairs of image b as [K, 2] i64 (i in image 0, j in image 1), by i, CPU.
  Tensor pairs(int64_t b) const;
  // Their matching_scores0, [K] f32, CPU, in the order of pairs(b).
  Tensor pair_scores(int64_t b) const;

  // matches0, matching_scores0, matches1, matching_scores1, log_assignment.
  void put(NamedTensors& batch) const;
  static Matches take(const NamedTensors& batch);
};

// The lookup of `key` in `batch`, failing with the key and the keys present.
const Tensor& required(const NamedTensors& batch, const std::string& key,
                       const std::string& what = "batch");

}  // namespace sp::features

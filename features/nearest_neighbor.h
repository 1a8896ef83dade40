// Nearest-neighbour matching of descriptors: the one matcher behind inference, the
// HPatches and pose evaluators and `spmatch --matcher nn` (Glue Factory's
// nearest_neighbor_matcher, OpenCV's BFMatcher with crossCheck, DISK's match.py).
// Tensor ops throughout, so it runs on the descriptors' device (CPU or CUDA) and in
// their dtype (f32, or f64 where an evaluation needs exact distances).
#pragma once

#include "features/features.h"

namespace sp::features {

struct NearestNeighborOptions {
  bool mutual = true;             // keep i <-> j only when each is the other's nearest
  double ratio_threshold = 0;     // > 0: Lowe's test, nearest / second-nearest distance <= this
  double distance_threshold = 0;  // > 0: the L2 descriptor distance must be <= this
};

// Matches of desc0 [B, N, D] against desc1 [B, M, D] by L2 distance. Entries whose
// mask0 [B, N] / mask1 [B, M] (bool, optional) is false are neither matched nor anyone's
// neighbour. Ties go to the lower index. matching_scores0/1 hold the dot product of the
// matched descriptors (the cosine similarity for L2-normalised ones), 0 where unmatched.
// With mutual matching, matches1 is the inverse of matches0; without, each side holds
// its own nearest neighbours.
Matches match_nearest_neighbors(const Tensor& desc0, const Tensor& desc1,
                                const Tensor& mask0 = Tensor(), const Tensor& mask1 = Tensor(),
                                const NearestNeighborOptions& options = {});

// The same on two feature batches (their descriptors and masks).
Matches match_nearest_neighbors(const Features& f0, const Features& f1,
                                const NearestNeighborOptions& options = {});

}  // namespace sp::features

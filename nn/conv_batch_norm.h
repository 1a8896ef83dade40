// Conv2d -> BatchNorm2d (-> ReLU) at inference, the layout of [PS]'s BN SuperPoint and of
// most U-Nets: with the normalisation's running statistics and no graph being built, the
// conv bias folds into the running mean, and the normalisation and the ReLU run as one
// in-place pass over the convolution's output (instead of a bias pass, a normalisation
// pass into a new tensor and a ReLU pass). Sequential::forward applies it to such runs of
// layers; results equal the layers one by one up to rounding.
#pragma once

#include <memory>
#include <vector>

#include "nn/containers.h"
#include "nn/layers.h"
#include "nn/normalization.h"

namespace sp::nn {

// True when bn normalises with running statistics (eval mode, tracked) and grad mode is off.
bool batch_norm_folds(const BatchNorm2d& bn);

// relu?(bn(conv(x))): folded as above when batch_norm_folds(bn), else layer by layer.
ag::Var conv_batch_norm(Conv2d& conv, BatchNorm2d& bn, const ag::Var& x, bool relu);

// If layers[i] is a Conv2d followed by a BatchNorm2d that folds (and optionally a ReLU),
// replaces y by their output and returns how many layers that was (2 or 3); else 0.
size_t forward_folded_conv_batch_norm(const std::vector<std::shared_ptr<UnaryModule>>& layers,
                                      size_t i, ag::Var& y);

}  // namespace sp::nn

// ReLU and BatchNorm2d live in nn/ now (nn/activation.h, nn/normalization.h); these
// aliases keep the older models:: spelling (tests/distributed) compiling. New code:
// include "nn/layers.h" and use nn::ReLU / nn::BatchNorm2d.
#pragma once

#include "nn/activation.h"
#include "nn/normalization.h"

namespace sp::models {

using nn::BatchNorm2d;
using nn::ReLU;

}  // namespace sp::models

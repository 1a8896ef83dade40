// Captures and restores everything a training resume needs (module parameters and
// buffers, optimizer state, step, RNG stream, config text) as an nn::Checkpoint.
#pragma once

#include <string>

#include "nn/checkpoint.h"
#include "nn/module.h"
#include "nn/optim/optimizer.h"
#include "tensor/ops/random.h"

namespace sp::nn {

// Tensors are copied to the CPU, so training can go on while the checkpoint is written.
Checkpoint capture(const Module& module, const optim::Optimizer* optimizer, int64_t step,
                   const Generator& rng, const std::string& config);

// Loads module (strict) and optimizer state and returns the step; rng is set to the saved
// stream. Either everything is restored or, on an error naming `source`, nothing changes.
int64_t restore(const Checkpoint& checkpoint, Module& module, optim::Optimizer* optimizer,
                Generator* rng, const std::string& source = "");

}  // namespace sp::nn

// checkpoint (gradient checkpointing / recompute): runs fn without a graph in the
// forward pass, saving only its inputs, and runs it again with a graph during backward
// to get the gradients. Trades compute for the memory of fn's intermediate values.
// fn must be deterministic (same inputs -> same outputs).
#pragma once

#include <functional>
#include <vector>

#include "autograd/var.h"

namespace sp::ag {

using CheckpointFn = std::function<Var(const std::vector<Var>&)>;

Var checkpoint(const CheckpointFn& fn, const std::vector<Var>& inputs);

}  // namespace sp::ag

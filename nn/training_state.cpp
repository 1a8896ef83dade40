#include "nn/training_state.h"

namespace sp::nn {

Checkpoint capture(const Module& module, const optim::Optimizer* optimizer, int64_t step,
                   const Generator& rng, const std::string& config) {
  Checkpoint c;
  for (auto& [n, v] : module.named_parameters()) c.parameters[n] = v.data().cpu().clone();
  for (auto& [n, t] : module.named_buffers()) c.buffers[n] = t.cpu().clone();
  if (optimizer)
    for (auto& [n, t] : optimizer->state_dict()) c.optimizer[n] = t.cpu().clone();
  c.step = step;
  c.rng_seed = rng.seed;
  c.rng_offset = rng.offset;
  c.config = config;
  return c;
}

int64_t restore(const Checkpoint& c, Module& module, optim::Optimizer* optimizer, Generator* rng,
                const std::string& source) {
  SP_CHECK(
      !optimizer || !c.optimizer.empty(), "checkpoint", source.empty() ? "" : " " + source,
      ": expected optimizer state, got none; hint: the checkpoint was saved without an optimizer");
  TensorMap state = c.parameters;
  for (auto& [n, t] : c.buffers) state[n] = t;
  // Keep a copy of the module so a failing optimizer load leaves both untouched.
  TensorMap before;
  for (auto& [n, t] : module.state_dict()) before[n] = t.clone();
  module.load_state_dict(state, true, source);
  if (optimizer) {
    try {
      optimizer->load_state_dict(c.optimizer);
    } catch (...) {
      module.load_state_dict(before, true, source);
      throw;
    }
  }
  if (rng) *rng = Generator(c.rng_seed, c.rng_offset);
  return c.step;
}

}  // namespace sp::nn

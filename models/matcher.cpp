#include "models/matcher.h"

namespace sp::models {

namespace {

// Predictions hold Vars; these are outputs without gradients.
void put_all(Predictions& pred, const features::NamedTensors& tensors) {
  for (const auto& [k, t] : tensors) pred.set(k, ag::Var(t));
}

features::NamedTensors tensors_of(const Predictions& pred) {
  features::NamedTensors out;
  for (const auto& [k, v] : pred) out[k] = v.data();
  return out;
}

}  // namespace

void put_matches(Predictions& pred, const features::Matches& matches) {
  features::NamedTensors t;
  matches.put(t);
  put_all(pred, t);
}

features::Matches matches_of(const Predictions& pred) {
  return features::Matches::take(tensors_of(pred));
}

void put_features(Predictions& pred, const features::Features& f, const std::string& suffix) {
  features::NamedTensors t;
  f.put(t, suffix);
  put_all(pred, t);
}

features::Features features_of(const Predictions& pred, const std::string& suffix) {
  return features::Features::take(tensors_of(pred), suffix);
}

}  // namespace sp::models

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

std::map<std::string, double> match_metrics(const Predictions& pred) {
  if (!pred.has("gt_matches0")) return {};
  const std::vector<int64_t> m = pred.at("matches0").data().cpu().to_vector<int64_t>();
  const std::vector<int64_t> gt = pred.at("gt_matches0").data().cpu().to_vector<int64_t>();
  double positives = 0, found = 0, predicted = 0, correct = 0;
  for (size_t i = 0; i < m.size(); ++i) {
    positives += gt[i] >= 0;
    found += gt[i] >= 0 && m[i] == gt[i];
    if (m[i] >= 0 && gt[i] != -2) {
      ++predicted;
      correct += m[i] == gt[i];
    }
  }
  return {{"match_recall", positives > 0 ? found / positives : 0.0},
          {"match_precision", predicted > 0 ? correct / predicted : 0.0}};
}

}  // namespace sp::models

#include "models/matcher.h"

#include <cmath>

#include "tensor/ops/creation.h"
#include "tensor/ops/elementwise.h"
#include "tensor/ops/index.h"
#include "tensor/ops/operators.h"
#include "tensor/ops/reduce.h"

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

features::Matches mutual_matches(const Tensor& log_scores, double threshold, const Tensor& valid) {
  const int64_t B = log_scores.size(0), N = log_scores.size(1), M = log_scores.size(2);
  const Device dev = log_scores.device();
  features::Matches out;
  if (N == 0 || M == 0) {
    out.matches0 = full({B, N}, -1, DType::I64, dev);
    out.matches1 = full({B, M}, -1, DType::I64, dev);
    out.matching_scores0 = zeros({B, N}, DType::F32, dev);
    out.matching_scores1 = zeros({B, M}, DType::F32, dev);
    return out;
  }
  Tensor s = log_scores.dtype() == DType::F64 ? log_scores : log_scores.to(DType::F32);
  if (valid.defined()) s = where(valid, s, -INFINITY);
  const Tensor m0 = argmax(s, 2), m1 = argmax(s, 1);  // [B, N], [B, M]
  const Tensor s0 = exp(gather(s, 2, m0.unsqueeze(2)).squeeze(2));
  const Tensor mutual0 = eq(gather(m1, 1, m0), arange(N, DType::I64, dev).view({1, N}));
  const Tensor mutual1 = eq(gather(m0, 1, m1), arange(M, DType::I64, dev).view({1, M}));
  const Tensor valid0 = logical_and(mutual0, s0 > Scalar(threshold));
  const Tensor valid1 = logical_and(mutual1, gather(valid0, 1, m1));
  out.matches0 = where(valid0, m0, Scalar(int64_t(-1)));
  out.matches1 = where(valid1, m1, Scalar(int64_t(-1)));
  out.matching_scores0 = where(valid0, s0, 0.0).to(DType::F32);
  out.matching_scores1 = where(valid1, gather(s0, 1, m1), 0.0).to(DType::F32);
  return out;
}

}  // namespace sp::models

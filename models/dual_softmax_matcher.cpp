#include "models/dual_softmax_matcher.h"

#include "autograd/functions/assignment.h"
#include "autograd/functions/elementwise.h"
#include "autograd/functions/matmul.h"
#include "autograd/functions/norm.h"
#include "autograd/functions/reduce.h"
#include "autograd/functions/views.h"
#include "autograd/grad_mode.h"
#include "autograd/operators.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/index.h"
#include "tensor/ops/operators.h"
#include "tensor/ops/reduce.h"

namespace sp::models {

DualSoftmaxConfig DualSoftmaxConfig::from(ConfigView& c) {
  DualSoftmaxConfig d;
  d.descriptor_dim = c.get_int("descriptor_dim", d.descriptor_dim);
  d.dim = c.get_int("dim", d.dim);
  d.temperature = c.get_double("temperature", d.temperature);
  d.match_threshold = c.get_double("match_threshold", d.match_threshold);
  SP_CHECK(d.descriptor_dim > 0 && d.dim >= 0 && d.temperature > 0, "dual_softmax config: ",
           "expected descriptor_dim > 0, dim >= 0 and temperature > 0, got ", d.descriptor_dim,
           ", ", d.dim, ", ", d.temperature);
  return d;
}

DualSoftmaxMatcher::DualSoftmaxMatcher(DualSoftmaxConfig config)
    : Matcher("DualSoftmaxMatcher"), config_(config) {
  const int64_t out = config_.dim > 0 ? config_.dim : config_.descriptor_dim;
  proj_ = register_module("proj", std::make_shared<nn::Linear>(config_.descriptor_dim, out));
}

std::vector<std::string> DualSoftmaxMatcher::required_keys() const {
  return {"keypoints0", "keypoints1", "descriptors0", "descriptors1"};
}

ag::Var DualSoftmaxMatcher::log_assignment(const features::Features& f0,
                                           const features::Features& f1) {
  SP_CHECK(f0.has_descriptors() && f1.has_descriptors(),
           "dual_softmax: expected descriptors for both views; hint: a detector-only extractor ",
           "has none");
  for (const features::Features* f : {&f0, &f1})
    SP_CHECK(f->descriptors.size(2) == config_.descriptor_dim, "dual_softmax: expected ",
             "descriptors [B, N, ", config_.descriptor_dim,
             "] (model.matcher.descriptor_dim), got ", f->descriptors.shape());
  const ag::Var d0 = ag::normalize(proj_->forward(ag::Var(f0.descriptors)), 2.0, -1);
  const ag::Var d1 = ag::normalize(proj_->forward(ag::Var(f1.descriptors)), 2.0, -1);
  ag::Var sim = ag::matmul(d0, ag::transpose(d1, 1, 2)) * Scalar(1.0 / config_.temperature);
  // Padding takes no probability mass: a large negative similarity.
  const Tensor valid = logical_and(f0.mask.unsqueeze(2), f1.mask.unsqueeze(1));
  sim = sim + ag::Var(where(valid, 0.0, full({}, -1e4, sim.dtype(), sim.device())));
  return ag::log_double_softmax(sim);
}

features::Matches DualSoftmaxMatcher::matches_from(const Tensor& log_p, const Tensor& valid) const {
  return mutual_matches(log_p, config_.match_threshold, valid);
}

Predictions DualSoftmaxMatcher::forward(const Batch& batch) {
  const features::Features f0 = features::Features::take(batch.items(), "0");
  const features::Features f1 = features::Features::take(batch.items(), "1");
  const ag::Var log_p = log_assignment(f0, f1);
  Predictions pred("predictions");
  put_matches(pred,
              matches_from(log_p.data(), logical_and(f0.mask.unsqueeze(2), f1.mask.unsqueeze(1))));
  pred.set("log_assignment", log_p);
  return pred;
}

features::Matches DualSoftmaxMatcher::match(const features::Features& f0,
                                            const features::Features& f1) {
  ag::NoGradGuard no_grad;
  return matches_from(log_assignment(f0, f1).data(),
                      logical_and(f0.mask.unsqueeze(2), f1.mask.unsqueeze(1)));
}

Losses DualSoftmaxMatcher::loss(const Predictions& pred, const Batch&) {
  SP_CHECK(pred.has("gt_assignment"), "dual_softmax: expected gt_assignment in the predictions; ",
           "hint: add a [model.ground_truth] table to the two_view_pipeline");
  const ag::Var& log_p = pred.at("log_assignment");
  const Tensor pos = pred.at("gt_assignment").data().to(log_p.dtype());  // [B, N, M]
  const Tensor count = sum(pos, {1, 2});                                 // [B]
  const Tensor has = (count > Scalar(0.0)).to(log_p.dtype());
  const Tensor weight = has / clamp(count, Scalar(1.0), std::nullopt) /
                        clamp(sum(has), Scalar(1.0), std::nullopt);  // [B]
  // -sum_b w_b sum_ij pos_bij log P_bij
  const ag::Var nll = ag::neg(ag::sum(ag::mul(log_p, ag::Var(pos * weight.view({-1, 1, 1})))));
  Losses out;
  out.total = nll;
  out.terms["total"] = nll.data().clone();
  out.terms["nll"] = out.terms["total"];
  out.terms["num_positives"] = mean(count);
  return out;
}

std::map<std::string, double> DualSoftmaxMatcher::metrics(const Predictions& pred, const Batch&) {
  return match_metrics(pred);
}

}  // namespace sp::models

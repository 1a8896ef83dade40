#include "models/superglue.h"

#include <algorithm>
#include <cmath>

#include "autograd/checkpoint.h"
#include "autograd/functions/assignment.h"
#include "autograd/functions/attention.h"
#include "autograd/functions/index.h"
#include "autograd/functions/matmul.h"
#include "autograd/functions/movement.h"
#include "autograd/functions/reduce.h"
#include "autograd/functions/views.h"
#include "autograd/grad_mode.h"
#include "autograd/operators.h"
#include "models/match_loss.h"
#include "nn/activation.h"
#include "nn/checkpoint.h"
#include "nn/normalization.h"
#include "nn/pth.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/elementwise.h"
#include "tensor/ops/index.h"
#include "tensor/ops/movement.h"
#include "tensor/ops/operators.h"
#include "tensor/ops/reduce.h"

namespace sp::models {

SuperGlueConfig SuperGlueConfig::from(ConfigView& c) {
  SuperGlueConfig d;
  d.descriptor_dim = c.get_int("descriptor_dim", d.descriptor_dim);
  d.input_dim = c.get_int("input_dim", d.input_dim);
  d.keypoint_encoder = c.get_int_list("keypoint_encoder", d.keypoint_encoder);
  d.num_layers = c.get_int("num_layers", d.num_layers);
  d.num_heads = c.get_int("num_heads", d.num_heads);
  d.sinkhorn_iterations = c.get_int("sinkhorn_iterations", d.sinkhorn_iterations);
  d.match_threshold = c.get_double("match_threshold", d.match_threshold);
  d.checkpointed = c.get_bool("checkpointed", d.checkpointed);
  d.nll_balancing = c.get_double("nll_balancing", d.nll_balancing);
  SP_CHECK(d.descriptor_dim > 0 && d.num_heads > 0 && d.descriptor_dim % d.num_heads == 0,
           "superglue config: expected descriptor_dim a positive multiple of num_heads, got ",
           d.descriptor_dim, " and ", d.num_heads);
  SP_CHECK(d.input_dim >= 0, "superglue config: expected input_dim >= 0, got ", d.input_dim);
  for (int64_t w : d.keypoint_encoder)
    SP_CHECK(w > 0, "superglue config: expected positive keypoint_encoder widths, got ", w);
  SP_CHECK(d.num_layers >= 0, "superglue config: expected num_layers >= 0, got ", d.num_layers);
  SP_CHECK(d.sinkhorn_iterations >= 0, "superglue config: expected sinkhorn_iterations >= 0, got ",
           d.sinkhorn_iterations);
  SP_CHECK(d.nll_balancing >= 0 && d.nll_balancing <= 1,
           "superglue config: expected nll_balancing in [0, 1], got ", d.nll_balancing);
  return d;
}

namespace superglue_detail {

// SuperGlue's MLP: linear (1x1 conv), then batch norm and ReLU after every layer but the
// last, named 0, 1, 2, ... like the official nn.Sequential; the last bias starts at 0. The
// batch norms are plain BatchNorm2d modules (so data-parallel training can swap them for
// SyncBatchNorm); mlp_forward hands them the points in their layout.
std::shared_ptr<nn::Sequential> mlp(const std::vector<int64_t>& channels) {
  auto s = std::make_shared<nn::Sequential>();
  std::shared_ptr<nn::Linear> last;
  for (size_t i = 1; i < channels.size(); ++i) {
    last = std::make_shared<nn::Linear>(channels[i - 1], channels[i]);
    s->push_back(last);
    if (i + 1 < channels.size()) {
      s->push_back(std::make_shared<nn::BatchNorm2d>(channels[i]));
      s->push_back(std::make_shared<nn::ReLU>());
    }
  }
  Tensor bias = last->param("bias").data();
  bias.zero_();
  return s;
}

// torch.nn.BatchNorm1d over [B, C, N] for points [*, C] (channels last): the same
// per-channel statistics over every point. The points go to the norm as [1, C, R, 1], whose
// per-channel values are contiguous (on [R, C, 1, 1] the batch-norm kernels stride through
// memory, several times slower).
ag::Var point_norm(nn::UnaryModule& norm, const ag::Var& x) {
  const int64_t C = x.size(x.dim() - 1), R = x.numel() / std::max<int64_t>(C, 1);
  const ag::Var cr = ag::contiguous(ag::transpose(ag::reshape(x, {R, C}), 0, 1));
  const ag::Var y = norm.forward(ag::reshape(cr, {1, C, R, 1}));
  return ag::reshape(ag::contiguous(ag::transpose(ag::reshape(y, {C, R}), 0, 1)), x.shape());
}

// The MLP over points [*, C]. At inference (eval, no graph) each linear -> batch norm pair
// runs as one linear with the normalisation folded into its weight and bias.
ag::Var mlp_forward(nn::Sequential& s, const ag::Var& x) {
  const bool fold = !s.is_training() && !ag::grad_enabled();
  ag::Var y = x;
  for (size_t i = 0; i < s.size(); ++i) {
    auto* lin = dynamic_cast<nn::Linear*>(&s[i]);
    auto* bn = fold && i + 1 < s.size() ? dynamic_cast<nn::BatchNorm2d*>(&s[i + 1]) : nullptr;
    if (lin != nullptr && bn != nullptr) {
      const Tensor scale = bn->param("weight").data() *
                           rsqrt(bn->buffer("running_var") + Scalar(bn->options().eps));  // [C]
      const Tensor w = lin->param("weight").data() * scale.unsqueeze(1);
      const Tensor b = (lin->param("bias").data() - bn->buffer("running_mean")) * scale +
                       bn->param("bias").data();
      y = ag::linear(y, ag::Var(w), ag::Var(b));
      ++i;  // the batch norm is done
    } else if (lin != nullptr || dynamic_cast<nn::ReLU*>(&s[i]) != nullptr) {
      y = s[i].forward(y);
    } else {  // a batch norm (or its SyncBatchNorm replacement)
      y = point_norm(s[i], y);
    }
  }
  return y;
}

class KeypointEncoder : public nn::Module {
 public:
  KeypointEncoder(const std::vector<int64_t>& widths, int64_t D) : nn::Module("KeypointEncoder") {
    std::vector<int64_t> channels{3};
    channels.insert(channels.end(), widths.begin(), widths.end());
    channels.push_back(D);
    encoder_ = register_module("encoder", mlp(channels));
  }
  ag::Var forward(const ag::Var& x) { return mlp_forward(*encoder_, x); }

 private:
  std::shared_ptr<nn::Sequential> encoder_;
};

// Multi-head attention with SuperGlue's layout: the D channels of q, k, v are viewed as
// (D / h, h), so channel c is sub-dimension c / h of head c % h. The projections run with
// their output rows (and merge's input columns) permuted to head-major order, which gives
// the same result with q, k, v as strided views [B, h, N, d] instead of copies.
class MultiHeadedAttention : public nn::Module {
 public:
  MultiHeadedAttention(int64_t D, int64_t heads) : nn::Module("MultiHeadedAttention"), h_(heads) {
    merge_ = register_module("merge", std::make_shared<nn::Linear>(D, D));
    proj_ = register_module("proj", std::make_shared<nn::ModuleList<nn::Linear>>());
    for (int i = 0; i < 3; ++i) {  // the official init: deep copies of merge
      auto p = std::make_shared<nn::Linear>(D, D);
      Tensor w = p->param("weight").data(), b = p->param("bias").data();
      w.copy_(merge_->param("weight").data());
      b.copy_(merge_->param("bias").data());
      proj_->push_back(p);
    }
    // head_major[head * d + j] = j * h + head
    std::vector<int64_t> order;
    for (int64_t head = 0; head < h_; ++head)
      for (int64_t j = 0; j < D / h_; ++j) order.push_back(j * h_ + head);
    head_major_ = from_vector<int64_t>(order, Shape{D});
  }

  // The projections in head-major order, taken once per layer for both images.
  struct Weights {
    ag::Var wq, bq, wk, bk, wv, bv, wm, bm;
  };
  Weights weights(Device device) const {
    const Tensor order = head_major_.to(device);
    auto rows = [&](nn::Linear& l, const char* name) {
      return ag::index_select(l.param(name), 0, order);
    };
    return {rows((*proj_)[0], "weight"),
            rows((*proj_)[0], "bias"),
            rows((*proj_)[1], "weight"),
            rows((*proj_)[1], "bias"),
            rows((*proj_)[2], "weight"),
            rows((*proj_)[2], "bias"),
            ag::index_select(merge_->param("weight"), 1, order),
            merge_->param("bias")};
  }

  // x [B, N, D] attends to source [B, M, D]; key_mask [B, 1, 1, M] (true = real) or
  // undefined.
  ag::Var forward(const Weights& w, const ag::Var& x, const ag::Var& source,
                  const Tensor& key_mask) const {
    const ag::Var q = heads(ag::linear(x, w.wq, w.bq));
    const ag::Var k = heads(ag::linear(source, w.wk, w.bk));
    const ag::Var v = heads(ag::linear(source, w.wv, w.bv));
    const ag::Var o = ag::scaled_dot_product_attention(q, k, v, key_mask);  // [B, h, N, d]
    const int64_t B = x.size(0), N = x.size(1), D = x.size(2);
    const ag::Var merged = ag::reshape(ag::permute(o, {0, 2, 1, 3}), {B, N, D});  // head-major
    return ag::linear(merged, w.wm, w.bm);
  }

 private:
  // Head-major [B, N, D] -> [B, h, N, D / h] (a view).
  ag::Var heads(const ag::Var& t) const {
    const int64_t B = t.size(0), N = t.size(1), D = t.size(2);
    return ag::permute(ag::reshape(t, {B, N, h_, D / h_}), {0, 2, 1, 3});
  }

  int64_t h_;
  Tensor head_major_;  // [D] i64
  std::shared_ptr<nn::Linear> merge_;
  std::shared_ptr<nn::ModuleList<nn::Linear>> proj_;
};

class AttentionalPropagation : public nn::Module {
 public:
  AttentionalPropagation(int64_t D, int64_t heads) : nn::Module("AttentionalPropagation") {
    attn_ = register_module("attn", std::make_shared<MultiHeadedAttention>(D, heads));
    mlp_ = register_module("mlp", mlp({2 * D, 2 * D, D}));
  }
  // The updates of a [B, N, D] from source sa [B, M, D] and of b from sb, both with this
  // layer's weights; masks [B, 1, 1, M] of the sources, or undefined.
  std::pair<ag::Var, ag::Var> forward(const ag::Var& a, const ag::Var& sa, const Tensor& ma,
                                      const ag::Var& b, const ag::Var& sb, const Tensor& mb) {
    const MultiHeadedAttention::Weights w = attn_->weights(a.device());
    return {mlp_forward(*mlp_, ag::cat({a, attn_->forward(w, a, sa, ma)}, 2)),
            mlp_forward(*mlp_, ag::cat({b, attn_->forward(w, b, sb, mb)}, 2))};
  }

 private:
  std::shared_ptr<MultiHeadedAttention> attn_;
  std::shared_ptr<nn::Sequential> mlp_;
};

class AttentionalGNN : public nn::Module {
 public:
  AttentionalGNN(int64_t D, int64_t heads, int64_t num_layers) : nn::Module("AttentionalGNN") {
    layers_ = register_module("layers", std::make_shared<nn::ModuleList<AttentionalPropagation>>());
    for (int64_t l = 0; l < num_layers; ++l)
      layers_->push_back(std::make_shared<AttentionalPropagation>(D, heads));
  }
  AttentionalPropagation& layer(size_t l) const { return (*layers_)[l]; }
  size_t size() const { return layers_->size(); }

 private:
  std::shared_ptr<nn::ModuleList<AttentionalPropagation>> layers_;
};

}  // namespace superglue_detail

namespace {

constexpr double kNoMass = -1e9;  // log-marginal of padding: exp() of it is 0 in f32 and f64

// log_optimal_transport with each pair's own point counts: padded rows and columns
// (mask false) get a log-marginal and couplings of kNoMass, so they take no mass and leave
// the real points' plan as if they were absent. Dustbins stay in the last row and column.
ag::Var masked_optimal_transport(const ag::Var& scores, const ag::Var& alpha, const Tensor& mask0,
                                 const Tensor& mask1, int64_t iters) {
  const int64_t B = scores.size(0), N = scores.size(1), M = scores.size(2);
  const DType dt = scores.dtype();
  const ag::Var a = ag::reshape(alpha, {1, 1, 1});
  const ag::Var all =
      ag::cat({ag::cat({scores, ag::expand(a, {B, N, 1})}, 2), ag::expand(a, {B, 1, M + 1})},
              1);  // [B, N + 1, M + 1]
  // Padded entries are kNoMass from the first iteration on (the potentials start at 0).
  const Tensor yes = ones({B, 1}, DType::Bool, scores.device());
  const Tensor real =
      logical_and(cat({mask0, yes}, 1).unsqueeze(2), cat({mask1, yes}, 1).unsqueeze(1));
  const ag::Var couplings =
      ag::where(real, all, ag::Var(full({}, kNoMass, scores.dtype(), scores.device())));
  const Tensor n = sum(mask0.to(dt), {1}), m = sum(mask1.to(dt), {1});                 // [B]
  const Tensor norm = neg(log(clamp(n + m, Scalar(1.0), std::nullopt))).unsqueeze(1);  // [B, 1]
  const Tensor none = full({}, kNoMass, dt, scores.device());
  const Tensor log_mu =
      cat({where(mask0, norm, none),
           where(m.unsqueeze(1) > Scalar(0.0),
                 log(clamp(m, Scalar(1.0), std::nullopt)).unsqueeze(1) + norm, none)},
          1);  // [B, N + 1]
  const Tensor log_nu =
      cat({where(mask1, norm, none),
           where(n.unsqueeze(1) > Scalar(0.0),
                 log(clamp(n, Scalar(1.0), std::nullopt)).unsqueeze(1) + norm, none)},
          1);  // [B, M + 1]
  return ag::log_sinkhorn(couplings, log_mu, log_nu, iters) - ag::Var(norm.unsqueeze(2));
}

bool all_true(const Tensor& mask) {
  return mask.numel() == 0 || all(mask).cpu().item<bool>();
}

// Fails naming the first non-finite value of t (masked to the real points).
void check_finite(const Tensor& t, const Tensor& mask, const std::string& key) {
  Tensor bad = logical_not(isfinite(t));
  if (t.dim() == 3) bad = any(bad, {2});
  bad = logical_and(bad, mask);
  if (!any(bad).cpu().item<bool>()) return;
  const std::vector<int64_t> at = nonzero(bad).cpu().to_vector<int64_t>();
  SP_FAIL("superglue: expected finite ", key, ", got NaN or Inf at pair ", at[0], ", keypoint ",
          at[1]);
}

features::Matches empty_matches(int64_t B, int64_t N, int64_t M, Device dev) {
  features::Matches out;
  out.matches0 = full({B, N}, -1, DType::I64, dev);
  out.matches1 = full({B, M}, -1, DType::I64, dev);
  out.matching_scores0 = zeros({B, N}, DType::F32, dev);
  out.matching_scores1 = zeros({B, M}, DType::F32, dev);
  return out;
}

}  // namespace

using superglue_detail::AttentionalGNN;
using superglue_detail::KeypointEncoder;

SuperGlue::SuperGlue(SuperGlueConfig config) : Matcher("SuperGlue"), config_(std::move(config)) {
  const int64_t D = config_.descriptor_dim;
  if (config_.input_dim > 0 && config_.input_dim != D)
    input_proj_ = register_module("input_proj", std::make_shared<nn::Linear>(config_.input_dim, D));
  kenc_ = register_module("kenc", std::make_shared<KeypointEncoder>(config_.keypoint_encoder, D));
  gnn_ = register_module(
      "gnn", std::make_shared<AttentionalGNN>(D, config_.num_heads, config_.num_layers));
  final_proj_ = register_module("final_proj", std::make_shared<nn::Linear>(D, D));
  register_parameter("bin_score", full({}, 1.0));
}

std::vector<std::string> SuperGlue::required_keys() const {
  return {"keypoints0", "keypoints1", "descriptors0", "descriptors1"};
}

namespace {

// The state dict of an sp .h5 or an official .pth, Conv1d weights [out, in, 1] as linear
// weights [out, in].
nn::TensorMap read_weights(const std::string& path) {
  nn::TensorMap state =
      nn::is_hdf5_file(path) ? nn::load_state_dict_file(path) : nn::load_pth_weights(path);
  for (auto& [name, t] : state)
    if (t.dim() == 3 && t.size(2) == 1 && name.size() > 7 &&
        name.compare(name.size() - 7, 7, ".weight") == 0)
      t = t.reshape({t.size(0), t.size(1)});
  return state;
}

}  // namespace

void SuperGlue::load_pretrained(const std::string& path) {
  load_state_dict(read_weights(path), /*strict=*/true, path);
}

std::shared_ptr<SuperGlue> SuperGlue::from_weights(const std::string& path, SuperGlueConfig c) {
  const nn::TensorMap state = read_weights(path);
  auto shape = [&](const std::string& key) -> const Shape& {
    auto it = state.find(key);
    SP_CHECK(it != state.end() && it->second.dim() == 2, "superglue: expected a 2-D '", key,
             "' in ", path, "; hint: is it a SuperGlue weights file?");
    return it->second.shape();
  };
  c.descriptor_dim = shape("final_proj.weight")[0];
  c.input_dim = state.count("input_proj.weight") ? shape("input_proj.weight")[1] : 0;
  c.keypoint_encoder.clear();
  for (int64_t k = 0; state.count("kenc.encoder." + std::to_string(k + 3) + ".weight"); k += 3)
    c.keypoint_encoder.push_back(shape("kenc.encoder." + std::to_string(k) + ".weight")[0]);
  c.num_layers = 0;
  while (state.count("gnn.layers." + std::to_string(c.num_layers) + ".attn.merge.weight"))
    ++c.num_layers;
  auto model = std::make_shared<SuperGlue>(c);
  model->load_state_dict(state, /*strict=*/true, path);
  return model;
}

void SuperGlue::check_inputs(const features::Features& f0, const features::Features& f1) const {
  const int64_t din = config_.input_dim > 0 ? config_.input_dim : config_.descriptor_dim;
  for (const auto& [f, s] : {std::pair{&f0, "0"}, std::pair{&f1, "1"}}) {
    SP_CHECK(f->has_descriptors(), "superglue: expected descriptors", s,
             "; hint: a detector-only extractor has none");
    SP_CHECK(f->descriptors.dim() == 3 && f->descriptors.size(2) == din,
             "superglue: expected descriptors", s, " [B, N, ", din,
             "] (model.matcher.input_dim, or descriptor_dim), got ", f->descriptors.shape(),
             "; hint: DISK's 128-D descriptors need input_dim = 128");
    if (f->max_keypoints() == 0) continue;
    const Tensor size_ok =
        logical_or(all(f->image_size > Scalar(0.0), {1}), logical_not(any(f->mask, {1})));
    SP_CHECK(all_true(size_ok), "superglue: expected image_size", s,
             " > 0 (keypoints are normalised by the image size), got ", f->image_size.shape(),
             " with a zero entry; hint: the features must carry their image size");
    check_finite(f->keypoints, f->mask, std::string("keypoints") + s);
    check_finite(f->scores, f->mask, std::string("keypoint_scores") + s);
    check_finite(f->descriptors, f->mask, std::string("descriptors") + s);
  }
  SP_CHECK(f0.batch_size() == f1.batch_size(), "superglue: expected two feature batches of one ",
           "size, got ", f0.batch_size(), " and ", f1.batch_size());
}

ag::Var SuperGlue::encode(const features::Features& f) {
  // p' = (p - size / 2) / (0.7 max(W, H)), per image of the batch.
  const Tensor size = f.image_size.to(DType::F32);                                    // [B, 2]
  const Tensor center = (size * Scalar(0.5)).unsqueeze(1);                            // [B, 1, 2]
  const Tensor scale = (amax(size, {1}, true) * Scalar(0.7)).unsqueeze(1);            // [B, 1, 1]
  const Tensor in = cat({(f.keypoints - center) / scale, f.scores.unsqueeze(2)}, 2);  // [B, N, 3]
  ag::Var desc(f.descriptors);
  if (input_proj_) desc = input_proj_->forward(desc);
  return desc + kenc_->forward(ag::Var(in));
}

ag::Var SuperGlue::log_assignment(const features::Features& f0, const features::Features& f1) {
  check_inputs(f0, f1);
  const int64_t B = f0.batch_size(), N = f0.max_keypoints(), M = f1.max_keypoints();
  SP_CHECK(N > 0 && M > 0, "superglue: expected keypoints in both images for a log-assignment, ",
           "got ", N, " and ", M);
  const bool padded = !all_true(f0.mask) || !all_true(f1.mask);
  const Tensor km0 = padded ? f0.mask.view({B, 1, 1, N}) : Tensor();
  const Tensor km1 = padded ? f1.mask.view({B, 1, 1, M}) : Tensor();
  ag::Var x0 = encode(f0), x1 = encode(f1);
  const bool recompute = config_.checkpointed && is_training() && ag::grad_enabled();
  for (size_t l = 0; l < gnn_->size(); ++l) {
    const bool cross = l % 2 == 1;
    auto& layer = gnn_->layer(l);
    // Both deltas from the states before the layer; the layer's weights serve both images.
    auto step = [&layer, cross, km0, km1](const std::vector<ag::Var>& in) {
      const ag::Var& a = in[0];
      const ag::Var& b = in[1];
      const auto [d0, d1] =
          layer.forward(a, cross ? b : a, cross ? km1 : km0, b, cross ? a : b, cross ? km0 : km1);
      return ag::cat({a + d0, b + d1}, 1);  // [B, N + M, D]
    };
    const ag::Var both = recompute ? ag::checkpoint(step, {x0, x1}) : step({x0, x1});
    x0 = ag::narrow(both, 1, 0, N);
    x1 = ag::narrow(both, 1, N, M);
  }
  const ag::Var md0 = final_proj_->forward(x0), md1 = final_proj_->forward(x1);
  const ag::Var scores = ag::matmul(md0, ag::transpose(md1, 1, 2)) *
                         Scalar(1.0 / std::sqrt(double(config_.descriptor_dim)));  // [B, N, M]
  const ag::Var& alpha = param("bin_score");
  if (!padded) return ag::log_optimal_transport(scores, alpha, config_.sinkhorn_iterations);
  return masked_optimal_transport(scores, alpha, f0.mask, f1.mask, config_.sinkhorn_iterations);
}

features::Matches SuperGlue::matches_from(const Tensor& log_p, const Tensor& mask0,
                                          const Tensor& mask1) const {
  const int64_t N = log_p.size(1) - 1, M = log_p.size(2) - 1;
  // Padding carries no mass, so leaving it out of the argmax changes no real point's.
  // Scores of mutual pairs below the threshold are 0 here (the official code keeps them).
  features::Matches out =
      mutual_matches(log_p.narrow(1, 0, N).narrow(2, 0, M), config_.match_threshold,
                     logical_and(mask0.unsqueeze(2), mask1.unsqueeze(1)));
  out.log_assignment = log_p;
  return out;
}

Predictions SuperGlue::forward(const Batch& batch) {
  const features::Features f0 = features::Features::take(batch.items(), "0");
  const features::Features f1 = features::Features::take(batch.items(), "1");
  Predictions pred("predictions");
  const int64_t B = f0.batch_size(), N = f0.max_keypoints(), M = f1.max_keypoints();
  if (N == 0 || M == 0) {
    check_inputs(f0, f1);
    put_matches(pred, empty_matches(B, N, M, f0.device()));
    pred.set("log_assignment", ag::Var(zeros({B, N + 1, M + 1}, DType::F32, f0.device())));
    return pred;
  }
  const ag::Var log_p = log_assignment(f0, f1);
  put_matches(pred, matches_from(log_p.data(), f0.mask, f1.mask));
  pred.set("log_assignment", log_p);
  return pred;
}

features::Matches SuperGlue::match(const features::Features& f0, const features::Features& f1) {
  ag::NoGradGuard no_grad;
  if (f0.max_keypoints() == 0 || f1.max_keypoints() == 0) {
    check_inputs(f0, f1);
    return empty_matches(f0.batch_size(), f0.max_keypoints(), f1.max_keypoints(), f0.device());
  }
  return matches_from(log_assignment(f0, f1).data(), f0.mask, f1.mask);
}

Losses SuperGlue::loss(const Predictions& pred, const Batch& batch) {
  auto gt = [&](const std::string& key) {
    if (pred.has(key)) return pred.at(key).data();
    SP_CHECK(batch.has(key), "superglue: expected ", key, " in the predictions or the batch; ",
             "hint: add a [model.ground_truth] table to the two_view_pipeline");
    return batch.at(key);
  };
  const MatchLoss l = match_nll_loss(pred.at("log_assignment"), gt("gt_matches0"),
                                     gt("gt_matches1"), {config_.nll_balancing});
  Losses out;
  out.total = ag::mean(l.nll);
  out.terms["total"] = out.total.data().clone();
  out.terms["nll_pos"] = mean(l.nll_pos);
  out.terms["nll_neg"] = mean(l.nll_neg);
  out.terms["num_matchable"] = mean(l.num_matchable);
  out.terms["num_unmatchable"] = mean(l.num_unmatchable);
  out.terms["bin_score"] = param("bin_score").data().clone();
  return out;
}

std::map<std::string, double> SuperGlue::metrics(const Predictions& pred, const Batch&) {
  return match_metrics(pred);
}

}  // namespace sp::models

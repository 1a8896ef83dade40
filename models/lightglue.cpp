#include "models/lightglue.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <regex>

#include "autograd/functions/index.h"
#include "autograd/functions/views.h"
#include "autograd/grad_mode.h"
#include "nn/checkpoint.h"
#include "nn/pth.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/elementwise.h"
#include "tensor/ops/index.h"
#include "tensor/ops/operators.h"
#include "tensor/ops/reduce.h"

namespace sp::models {
namespace {

constexpr int64_t kCudaPruningThreshold = 1536;  // the reference's "flash" entry

// The official files' names in sp's: self_attn.{l}.* -> transformers.{l}.self_attn.*
// (cross_attn likewise); the unused log_assignment.{l}.r scalars and a stored
// confidence_thresholds buffer (computed here) are dropped.
nn::TensorMap normalize_names(const nn::TensorMap& state) {
  static const std::regex old_block(R"(^(self_attn|cross_attn)\.(\d+)\.(.*)$)");
  static const std::regex unused(R"(^log_assignment\.\d+\.r$|^confidence_thresholds$)");
  nn::TensorMap out;
  for (const auto& [key, t] : state) {
    std::smatch m;
    if (std::regex_match(key, unused)) continue;
    if (std::regex_match(key, m, old_block))
      out["transformers." + m[2].str() + "." + m[1].str() + "." + m[3].str()] = t;
    else
      out[key] = t;
  }
  return out;
}

nn::TensorMap read_state(const std::string& path) {
  return normalize_names(nn::is_hdf5_file(path) ? nn::load_state_dict_file(path)
                                                : nn::load_pth_weights(path));
}

// Image b's real points of f, unpadded, as a batch of one; idx: their indices.
features::Features select_image(const features::Features& f, int64_t b, const Tensor& idx) {
  features::Features s;
  s.keypoints = index_select(f.keypoints.narrow(0, b, 1), 1, idx);
  s.scores = f.scores.defined() ? index_select(f.scores.narrow(0, b, 1), 1, idx) : Tensor();
  s.descriptors = index_select(f.descriptors.narrow(0, b, 1), 1, idx);
  s.mask = ones({1, idx.size(0)}, DType::Bool, f.device());
  s.image_size = f.image_size.narrow(0, b, 1);
  return s;
}

// An output for sets that left no point to match: nothing matched.
LightGlueOutput empty_output(int64_t B, int64_t N, int64_t M, Device dev) {
  LightGlueOutput out;
  out.matches.matches0 = full({B, N}, -1, DType::I64, dev);
  out.matches.matches1 = full({B, M}, -1, DType::I64, dev);
  out.matches.matching_scores0 = zeros({B, N}, DType::F32, dev);
  out.matches.matching_scores1 = zeros({B, M}, DType::F32, dev);
  return out;
}

}  // namespace

LightGlueConfig LightGlueConfig::from(ConfigView& c) {
  LightGlueConfig d;
  d.input_dim = c.get_int("input_dim", d.input_dim);
  d.descriptor_dim = c.get_int("descriptor_dim", d.descriptor_dim);
  d.n_layers = c.get_int("n_layers", d.n_layers);
  d.num_heads = c.get_int("num_heads", d.num_heads);
  d.depth_confidence = c.get_double("depth_confidence", d.depth_confidence);
  d.width_confidence = c.get_double("width_confidence", d.width_confidence);
  d.filter_threshold = c.get_double("filter_threshold", d.filter_threshold);
  d.weights = c.get_string("weights", d.weights);
  d.explicit_self_attention = c.get_bool("explicit_self_attention", d.explicit_self_attention);
  SP_CHECK(d.input_dim > 0 && d.descriptor_dim > 0 && d.n_layers > 0 && d.num_heads > 0,
           "lightglue config: expected positive input_dim, descriptor_dim, n_layers and ",
           "num_heads, got ", d.input_dim, ", ", d.descriptor_dim, ", ", d.n_layers, ", ",
           d.num_heads);
  // A weights file decides the architecture (DISK's has input_dim 128), as in spmatch.
  if (!d.weights.empty()) d = from_weights(d.weights, d);
  return d;
}

LightGlueConfig LightGlueConfig::from_weights(const std::string& path, LightGlueConfig base) {
  const nn::TensorMap state = read_state(path);
  auto find = [&](const std::string& key) -> const Tensor* {
    auto it = state.find(key);
    return it == state.end() ? nullptr : &it->second;
  };
  const Tensor* wr = find("posenc.Wr.weight");
  const Tensor* head = find("log_assignment.0.final_proj.weight");
  SP_CHECK(wr != nullptr && head != nullptr && wr->dim() == 2 && head->dim() == 2,
           "lightglue: expected a LightGlue state dict (posenc.Wr.weight, ",
           "log_assignment.0.final_proj.weight) in ", path, ", got ", state.size(),
           " tensors without them");
  base.descriptor_dim = head->size(0);
  const Tensor* proj = find("input_proj.weight");
  base.input_dim = proj != nullptr ? proj->size(1) : base.descriptor_dim;
  base.num_heads = base.descriptor_dim / (2 * wr->size(0));
  base.n_layers = 0;
  while (find("transformers." + std::to_string(base.n_layers) + ".self_attn.Wqkv.weight"))
    ++base.n_layers;
  SP_CHECK(base.n_layers > 0 && base.num_heads > 0,
           "lightglue: expected transformers.0.self_attn.Wqkv.weight (or self_attn.0.Wqkv.weight) ",
           "in ", path);
  return base;
}

LightGlue::LightGlue(LightGlueConfig config) : Matcher("LightGlue"), config_(std::move(config)) {
  const int64_t d = config_.descriptor_dim, H = config_.num_heads, L = config_.n_layers;
  SP_CHECK(d % H == 0 && (d / H) % 2 == 0,
           "lightglue: expected descriptor_dim divisible by num_heads with an even head size, "
           "got ",
           d, " and ", H);
  if (config_.input_dim != d)
    input_proj_ = register_module("input_proj", std::make_shared<nn::Linear>(config_.input_dim, d));
  posenc_ = register_module("posenc", std::make_shared<nn::LearnableFourierEncoding>(2, d / H));
  transformers_ = register_module("transformers",
                                  std::make_shared<nn::ModuleList<LightGlueTransformerLayer>>());
  log_assignment_ = register_module("log_assignment",
                                    std::make_shared<nn::ModuleList<LightGlueMatchAssignment>>());
  token_confidence_ = register_module("token_confidence",
                                      std::make_shared<nn::ModuleList<LightGlueTokenConfidence>>());
  for (int64_t l = 0; l < L; ++l) {
    transformers_->push_back(
        std::make_shared<LightGlueTransformerLayer>(d, H, config_.explicit_self_attention));
    log_assignment_->push_back(std::make_shared<LightGlueMatchAssignment>(d));
    if (l + 1 < L) token_confidence_->push_back(std::make_shared<LightGlueTokenConfidence>(d));
  }
  if (!config_.weights.empty()) load_pretrained(config_.weights);
}

std::vector<std::string> LightGlue::required_keys() const {
  return {"keypoints0", "keypoints1", "descriptors0", "descriptors1", "image_size0", "image_size1"};
}

void LightGlue::load_pretrained(const std::string& path) {
  load_state_dict(read_state(path), /*strict=*/true, path);
}

float LightGlue::confidence_threshold(int64_t layer) const {
  const double t = 0.8 + 0.1 * std::exp(-4.0 * double(layer) / double(config_.n_layers));
  return float(std::clamp(t, 0.0, 1.0));
}

Tensor LightGlue::normalize_keypoints(const Tensor& keypoints, const Tensor& image_size) {
  const Tensor size = image_size.to(keypoints.dtype());
  const Tensor shift = size / Scalar(2.0);              // [B, 2]
  const Tensor scale = amax(size, {-1}) / Scalar(2.0);  // [B]
  return (keypoints - shift.unsqueeze(1)) / scale.view({-1, 1, 1});
}

void LightGlue::check_inputs(const features::Features& f, const char* view) const {
  const std::string v(view);
  SP_CHECK(f.keypoints.defined() && f.keypoints.dim() == 3 && f.keypoints.size(2) == 2,
           "lightglue: expected keypoints", v, " [B, N, 2], got ",
           f.keypoints.defined() ? f.keypoints.shape() : Shape{});
  SP_CHECK(f.has_descriptors(), "lightglue: expected descriptors", v,
           "; hint: a detector-only extractor has none");
  SP_CHECK(f.descriptors.dim() == 3 && f.descriptors.size(2) == config_.input_dim &&
               f.descriptors.size(1) == f.keypoints.size(1),
           "lightglue: expected descriptors", v, " [B, ", f.keypoints.size(1), ", ",
           config_.input_dim, "] (the weights' input_dim), got ", f.descriptors.shape(),
           "; hint: these weights were trained for features with ", config_.input_dim,
           "-D descriptors");
  SP_CHECK(f.image_size.defined() && f.image_size.shape() == Shape({f.batch_size(), 2}),
           "lightglue: expected image_size", v, " [", f.batch_size(), ", 2] (width, height), got ",
           f.image_size.defined() ? f.image_size.shape() : Shape{});
  if (f.max_keypoints() == 0) return;
  const std::vector<int64_t> counts = f.counts();
  const std::vector<float> sizes =
      f.image_size.cpu().to(DType::F32).contiguous().to_vector<float>();
  for (int64_t b = 0; b < f.batch_size(); ++b)
    SP_CHECK(counts[b] == 0 || (sizes[2 * b] > 0 && sizes[2 * b + 1] > 0),
             "lightglue: expected the image size (width, height) of image ", b, " of view ", v,
             ", which has ", counts[b], " keypoints, got (", sizes[2 * b], ", ", sizes[2 * b + 1],
             "); hint: LightGlue normalises keypoints by their image's size, write features with ",
             "image_size (hloc layout) or give it");
}

LightGlue::Encoded LightGlue::encode(const features::Features& f) {
  Encoded e;
  ag::Var desc(f.descriptors.contiguous());
  e.x = input_proj_ ? (*input_proj_)(desc) : desc;
  const Tensor kpts = normalize_keypoints(f.keypoints, f.image_size);
  std::tie(e.cos, e.sin) = posenc_->forward(ag::Var(kpts));
  return e;
}

features::Matches LightGlue::filter_matches(const Tensor& log_p, const Tensor& valid) const {
  const int64_t N = log_p.size(1) - 1, M = log_p.size(2) - 1;
  return mutual_matches(log_p.narrow(1, 0, N).narrow(2, 0, M), config_.filter_threshold, valid);
}

LightGlueOutput LightGlue::infer(const features::Features& f0, const features::Features& f1,
                                 bool adaptive, bool keep_states) {
  check_inputs(f0, "0");
  check_inputs(f1, "1");
  const int64_t B = f0.batch_size(), N = f0.max_keypoints(), M = f1.max_keypoints();
  SP_CHECK(f1.batch_size() == B, "lightglue: expected feature batches of one size, got ", B,
           " and ", f1.batch_size());
  const bool early = adaptive && config_.depth_confidence > 0;
  const bool prune = adaptive && config_.width_confidence > 0;
  if (!early && !prune) return infer_padded(f0, f1, keep_states);
  const std::vector<int64_t> c0 = f0.counts(), c1 = f1.counts();
  if (B == 1 && c0[0] == N && c1[0] == M) return infer_single(f0, f1, early, prune);

  // Adaptive over a padded batch: pair by pair, scattered back into the padding.
  std::vector<int64_t> m0(B * N, -1), m1(B * M, -1), p0(B * N, 0), p1(B * M, 0);
  std::vector<float> s0(B * N, 0.f), s1(B * M, 0.f);
  int64_t stop = 0;
  for (int64_t b = 0; b < B; ++b) {
    const Tensor idx0 = nonzero(f0.mask.select(0, b)).select(1, 0);
    const Tensor idx1 = nonzero(f1.mask.select(0, b)).select(1, 0);
    const LightGlueOutput o =
        infer_single(select_image(f0, b, idx0), select_image(f1, b, idx1), early, prune);
    stop = std::max(stop, o.stop);
    const std::vector<int64_t> i0 = idx0.cpu().to_vector<int64_t>(),
                               i1 = idx1.cpu().to_vector<int64_t>();
    const std::vector<int64_t> om0 = o.matches.matches0.cpu().contiguous().to_vector<int64_t>(),
                               om1 = o.matches.matches1.cpu().contiguous().to_vector<int64_t>(),
                               op0 = o.prune0.cpu().contiguous().to_vector<int64_t>(),
                               op1 = o.prune1.cpu().contiguous().to_vector<int64_t>();
    const std::vector<float> os0 = o.matches.matching_scores0.cpu().contiguous().to_vector<float>(),
                             os1 = o.matches.matching_scores1.cpu().contiguous().to_vector<float>();
    for (size_t i = 0; i < i0.size(); ++i) {
      m0[b * N + i0[i]] = om0[i] >= 0 ? i1[om0[i]] : -1;
      s0[b * N + i0[i]] = os0[i];
      p0[b * N + i0[i]] = op0[i];
    }
    for (size_t j = 0; j < i1.size(); ++j) {
      m1[b * M + i1[j]] = om1[j] >= 0 ? i0[om1[j]] : -1;
      s1[b * M + i1[j]] = os1[j];
      p1[b * M + i1[j]] = op1[j];
    }
  }
  const Device dev = f0.device();
  LightGlueOutput out;
  out.stop = stop;
  out.matches.matches0 = from_vector(m0, {B, N}, dev);
  out.matches.matches1 = from_vector(m1, {B, M}, dev);
  out.matches.matching_scores0 = from_vector(s0, {B, N}, dev);
  out.matches.matching_scores1 = from_vector(s1, {B, M}, dev);
  out.prune0 = from_vector(p0, {B, N}, dev);
  out.prune1 = from_vector(p1, {B, M}, dev);
  return out;
}

LightGlueOutput LightGlue::infer_single(const features::Features& f0, const features::Features& f1,
                                        bool early, bool prune) {
  const int64_t N = f0.max_keypoints(), M = f1.max_keypoints(), L = config_.n_layers;
  const Device dev = f0.device();
  Encoded e0 = encode(f0), e1 = encode(f1);
  std::vector<int64_t> ind0(N), ind1(M), p0(N, 1), p1(M, 1);
  std::iota(ind0.begin(), ind0.end(), 0);
  std::iota(ind1.begin(), ind1.end(), 0);
  const int64_t threshold = dev.is_cuda() ? kCudaPruningThreshold : -1;
  // The reference's thresholds are f32 buffers and Python floats compared in the states'
  // dtype: rounded to f32 unless the model runs in f64 (lambda is an f32 value either way).
  const bool f64 = e0.x.dtype() == DType::F64;
  auto in_dtype = [&](double v) { return f64 ? v : double(float(v)); };
  auto host = [](const Tensor& t) {
    return t.to(DType::F64).cpu().contiguous().to_vector<double>();
  };
  const double keep_above = in_dtype(1.0 - config_.width_confidence);

  // Drops the points of one image that the reference prunes after layer l.
  auto prune_points = [&](Encoded& e, std::vector<int64_t>& ind, std::vector<int64_t>& p,
                          const Tensor& token, int64_t l) {
    const std::vector<double> s = host((*log_assignment_)[l].matchability(e.x).data());
    std::vector<double> c;
    if (token.defined()) c = host(token);
    const double lambda = confidence_threshold(l);
    std::vector<int64_t> keep, kept;
    for (size_t i = 0; i < s.size(); ++i)
      if (s[i] > keep_above || (!c.empty() && c[i] <= lambda)) {
        keep.push_back(int64_t(i));
        kept.push_back(ind[i]);
      }
    if (keep.size() != s.size()) {
      const Tensor idx = from_vector(keep, {int64_t(keep.size())}, dev);
      e.x = ag::index_select(e.x, 1, idx);
      e.cos = ag::index_select(e.cos, 2, idx);
      e.sin = ag::index_select(e.sin, 2, idx);
    }
    ind = kept;
    for (int64_t i : ind) ++p[i];
  };

  int64_t stop = 0;
  for (int64_t l = 0; l < L; ++l) {
    stop = l + 1;
    if (e0.x.size(1) == 0 || e1.x.size(1) == 0) break;
    std::tie(e0.x, e1.x) =
        (*transformers_)[l].forward(e0.x, e1.x, {e0.cos, e0.sin}, {e1.cos, e1.sin}, {});
    if (l == L - 1) break;
    Tensor token0, token1;
    if (early) {
      token0 = (*token_confidence_)[l].forward(e0.x).data();
      token1 = (*token_confidence_)[l].forward(e1.x).data();
      // Pruned points count as confident: alive ones in the numerator, all in the denominator.
      const double lambda = confidence_threshold(l);
      const Tensor unsure = sum((token0 < Scalar(lambda)).to(DType::F64)) +
                            sum((token1 < Scalar(lambda)).to(DType::F64));
      const double count = unsure.cpu().item<double>();
      const bool confident =
          f64 ? 1.0 - count / double(N + M) > config_.depth_confidence
              : 1.0f - float(count) / float(N + M) > float(config_.depth_confidence);
      if (confident) break;
    }
    if (prune && e0.x.size(1) > threshold) prune_points(e0, ind0, p0, token0, l);
    if (prune && e1.x.size(1) > threshold) prune_points(e1, ind1, p1, token1, l);
  }

  LightGlueOutput out;
  if (e0.x.size(1) == 0 || e1.x.size(1) == 0) {
    out = empty_output(1, N, M, dev);
  } else {
    out.log_assignment = (*log_assignment_)[stop - 1].forward(e0.x, e1.x);
    const features::Matches m = filter_matches(out.log_assignment.data(), {});
    out.matches = m;
    if (prune) {
      // Back to the input's indices.
      const Tensor i0 = from_vector(ind0, {int64_t(ind0.size())}, dev);
      const Tensor i1 = from_vector(ind1, {int64_t(ind1.size())}, dev);
      out.kept0 = i0;
      out.kept1 = i1;
      auto remap = [&](const Tensor& m, const Tensor& other) {
        const Tensor mapped =
            index_select(other, 0, clamp(m, Scalar(int64_t(0)), std::nullopt).view({-1}));
        return where(m < Scalar(int64_t(0)), m, mapped.view(m.shape()));
      };
      // Distinct indices: index_add into zeros scatters (matches shifted by one so that
      // unset entries read -1).
      auto scatter = [&](const Tensor& src, const Tensor& idx, int64_t size, const Scalar& shift) {
        const Tensor z = zeros({1, size}, src.dtype(), dev);
        return index_add(z, 1, idx, src + shift) - shift;
      };
      out.matches.matches0 = scatter(remap(m.matches0, i1), i0, N, Scalar(int64_t(1)));
      out.matches.matches1 = scatter(remap(m.matches1, i0), i1, M, Scalar(int64_t(1)));
      out.matches.matching_scores0 = scatter(m.matching_scores0, i0, N, Scalar(0.0));
      out.matches.matching_scores1 = scatter(m.matching_scores1, i1, M, Scalar(0.0));
    } else {
      out.matches.log_assignment = out.log_assignment.data();
    }
  }
  out.stop = stop;
  if (prune) {
    out.prune0 = from_vector(p0, {1, N}, dev);
    out.prune1 = from_vector(p1, {1, M}, dev);
  } else {
    out.prune0 = full({1, N}, double(L), DType::I64, dev);
    out.prune1 = full({1, M}, double(L), DType::I64, dev);
  }
  return out;
}

LightGlueOutput LightGlue::infer_padded(const features::Features& f0, const features::Features& f1,
                                        bool keep_states) {
  const int64_t B = f0.batch_size(), N = f0.max_keypoints(), M = f1.max_keypoints();
  const int64_t L = config_.n_layers;
  const Device dev = f0.device();
  LightGlueOutput out;
  if (N == 0 || M == 0) {
    out = empty_output(B, N, M, dev);
    out.stop = 1;
  } else {
    const std::vector<int64_t> c0 = f0.counts(), c1 = f1.counts();
    bool padded = false;
    for (int64_t b = 0; b < B; ++b) padded = padded || c0[b] != N || c1[b] != M;
    LightGlueMasks masks;
    Tensor valid;
    if (padded) {
      // Key-padding masks suffice: a real point never attends padding, and padded rows
      // (whatever they hold) reach no real point.
      masks.self0 = masks.cross10 = f0.mask.view({B, 1, 1, N});
      masks.self1 = masks.cross01 = f1.mask.view({B, 1, 1, M});
      valid = logical_and(f0.mask.unsqueeze(2), f1.mask.unsqueeze(1));
    }
    Encoded e0 = encode(f0), e1 = encode(f1);
    for (int64_t l = 0; l < L; ++l) {
      std::tie(e0.x, e1.x) =
          (*transformers_)[l].forward(e0.x, e1.x, {e0.cos, e0.sin}, {e1.cos, e1.sin}, masks);
      if (keep_states) out.states.emplace_back(e0.x, e1.x);
    }
    out.log_assignment = (*log_assignment_)[L - 1].forward(e0.x, e1.x, valid);
    out.matches = filter_matches(out.log_assignment.data(), valid);
    out.matches.log_assignment = out.log_assignment.data();
    out.stop = L;
  }
  out.prune0 = full({B, N}, double(L), DType::I64, dev);
  out.prune1 = full({B, M}, double(L), DType::I64, dev);
  return out;
}

features::Matches LightGlue::match(const features::Features& f0, const features::Features& f1) {
  ag::NoGradGuard no_grad;
  return infer(f0, f1, /*adaptive=*/true).matches;
}

Predictions LightGlue::forward(const Batch& batch) {
  const features::Features f0 = features::Features::take(batch.items(), "0");
  const features::Features f1 = features::Features::take(batch.items(), "1");
  const LightGlueOutput out = infer(f0, f1, /*adaptive=*/!is_training());
  Predictions pred("predictions");
  put_matches(pred, out.matches);
  if (out.log_assignment.defined()) pred.set("log_assignment", out.log_assignment);
  pred.set("stop", ag::Var(full({}, double(out.stop), DType::I64, f0.device())));
  pred.set("prune0", ag::Var(out.prune0));
  pred.set("prune1", ag::Var(out.prune1));
  return pred;
}

Losses LightGlue::loss(const Predictions&, const Batch&) {
  SP_FAIL(type_name(),
          ": expected no training call; LightGlue's deep-supervised training (matchers.md 3.2) "
          "is not implemented yet, only inference");
}

std::map<std::string, double> LightGlue::metrics(const Predictions& pred, const Batch&) {
  return {{"stop", double(pred.at("stop").data().cpu().item<int64_t>())}};
}

}  // namespace sp::models

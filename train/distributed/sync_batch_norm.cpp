#include "train/distributed/sync_batch_norm.h"

#include "autograd/functions/norm.h"
#include "autograd/node.h"
#include "nn/normalization.h"
#include "tensor/check.h"
#include "tensor/ops/copy.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/elementwise.h"
#include "tensor/ops/norm.h"
#include "tensor/ops/reduce.h"

namespace sp::train {
namespace {

// Every dim but the channel dim 1.
DimList reduce_dims(int rank) {
  DimList dims{0};
  for (int d = 2; d < rank; ++d) dims.push_back(d);
  return dims;
}

// [C] viewed so it broadcasts against [N, C, *].
Tensor per_channel(const Tensor& t, int rank) {
  Shape shape(std::vector<int64_t>(size_t(rank), 1));
  shape[1] = t.numel();
  return t.reshape(shape);
}

// Sums of `parts` ([C] each) over all ranks, packed into one f64 buffer for a single
// collective; returned as [parts.size(), C] f64.
Tensor allreduce_packed(const std::vector<Tensor>& parts, Communicator& comm) {
  int64_t c = parts[0].numel();
  Tensor packed = empty({int64_t(parts.size()), c}, DType::F64, parts[0].device());
  for (size_t i = 0; i < parts.size(); ++i) copy_into(packed.select(0, int64_t(i)), parts[i]);
  comm.allreduce_sum(packed);
  return packed;
}

}  // namespace

ag::Var sync_batch_norm(const ag::Var& x, const ag::Var& weight, const ag::Var& bias,
                        Tensor running_mean, Tensor running_var, bool training, double momentum,
                        double eps, std::shared_ptr<Communicator> comm) {
  SP_CHECK(comm != nullptr, "sync_batch_norm: expected a communicator, got null");
  SP_CHECK(x.defined() && x.dim() >= 2, "sync_batch_norm: expected an input [N, C, *], got ",
           x.defined() ? x.shape() : Shape{});
  if (!training)
    return ag::batch_norm(x, weight, bias, running_mean, running_var, false, momentum, eps);

  const Tensor input = x.data().contiguous();
  const int rank = input.dim();
  const int64_t channels = input.size(1);
  const DimList dims = reduce_dims(rank);
  check_floating(input, "sync_batch_norm", "x");

  // Global statistics: sum, sum of squares and element count per channel.
  Tensor local_count = full({channels}, double(channels > 0 ? input.numel() / channels : 0),
                            DType::F64, input.device());
  Tensor stats = allreduce_packed({sum(input, dims), sum(square(input), dims), local_count}, *comm);
  const double count = stats.select(0, 2).narrow(0, 0, 1).item<double>();
  SP_CHECK(
      count > 1,
      "sync_batch_norm: expected more than 1 value per channel over all ranks in training, got ",
      count, " (input ", x.shape(), ")");
  Tensor mean64 = div(stats.select(0, 0), Scalar(count));
  Tensor var64 =
      clamp(sub(div(stats.select(0, 1), Scalar(count)), square(mean64)), Scalar(0.0), std::nullopt);
  Tensor mean = mean64.to(input.dtype());
  Tensor var = var64.to(input.dtype());

  const Tensor w = weight.defined() ? weight.data() : Tensor();
  const Tensor b = bias.defined() ? bias.data() : Tensor();
  Tensor output = batch_norm_eval(input, w, b, mean, var, eps);
  Tensor invstd = rsqrt(add(var, Scalar(eps)));

  if (running_mean.defined()) {
    mul_(running_mean, Scalar(1.0 - momentum));
    add_(running_mean, mean.to(running_mean.dtype()), Scalar(momentum));
  }
  if (running_var.defined()) {
    mul_(running_var, Scalar(1.0 - momentum));
    add_(running_var, var64.to(running_var.dtype()), Scalar(momentum * count / (count - 1)));
  }

  auto backward = [comm, rank, dims, count](const ag::BackwardArgs& a) -> std::vector<Tensor> {
    const Tensor& g = a.grad();
    const Tensor& in = a.saved[0];
    const Tensor& w = a.saved[1];
    const Tensor& mean = a.saved[2];
    const Tensor& invstd = a.saved[3];
    Tensor xmu = sub(in, per_channel(mean, rank));
    Tensor sum_dy = sum(g, dims);
    Tensor sum_dy_xmu = sum(mul(g, xmu), dims);
    std::vector<Tensor> grads(3);
    if (a.needs(0)) {
      Tensor global = allreduce_packed({sum_dy, sum_dy_xmu}, *comm);
      Tensor mean_dy = div(global.select(0, 0), Scalar(count)).to(g.dtype());
      Tensor mean_dy_xmu = div(global.select(0, 1), Scalar(count)).to(g.dtype());
      Tensor scale = w.defined() ? mul(w, invstd) : invstd;
      // dx = w invstd (dy - mean(dy) - (x - mean) invstd^2 mean(dy (x - mean)))
      Tensor centered = sub(g, per_channel(mean_dy, rank));
      Tensor correction = mul(xmu, per_channel(mul(square(invstd), mean_dy_xmu), rank));
      grads[0] = mul(sub(centered, correction), per_channel(scale, rank));
    }
    if (a.needs(1)) grads[1] = mul(sum_dy_xmu, invstd);
    if (a.needs(2)) grads[2] = sum_dy;
    return grads;
  };
  return ag::make_result("sync_batch_norm", std::move(output), {x, weight, bias},
                         {input, w, mean, invstd}, std::move(backward));
}

SyncBatchNorm::SyncBatchNorm(int64_t channels, std::shared_ptr<Communicator> comm, double eps,
                             double momentum)
    : nn::UnaryModule("SyncBatchNorm"),
      channels_(channels),
      eps_(eps),
      momentum_(momentum),
      comm_(std::move(comm)) {
  SP_CHECK(channels > 0, "SyncBatchNorm: expected a positive channel count, got ", channels);
  SP_CHECK(comm_ != nullptr, "SyncBatchNorm: expected a communicator, got null");
  register_parameter("weight", ones({channels}));
  register_parameter("bias", zeros({channels}));
  register_buffer("running_mean", zeros({channels}));
  register_buffer("running_var", ones({channels}));
  register_buffer("num_batches_tracked", zeros({}, DType::I64));
}

ag::Var SyncBatchNorm::forward(const ag::Var& x) {
  SP_CHECK(x.dim() >= 2 && x.size(1) == channels_, "SyncBatchNorm: expected an input [N, ",
           channels_, ", *], got ", x.shape());
  if (is_training()) {
    Tensor& tracked = buffer("num_batches_tracked");
    add_(tracked, Scalar(1));
  }
  return sync_batch_norm(x, param("weight"), param("bias"), buffer("running_mean"),
                         buffer("running_var"), is_training(), momentum_, eps_, comm_);
}

namespace {
int convert_below(nn::Module& module, const std::string& path,
                  const std::shared_ptr<Communicator>& comm) {
  std::vector<std::pair<std::string, std::shared_ptr<nn::Module>>> swaps;
  int replaced = 0;
  for (const auto& [name, child] : module.children()) {
    const std::string where = path.empty() ? name : path + "." + name;
    if (child->type_name() != "BatchNorm2d") {
      replaced += convert_below(*child, where, comm);
      continue;
    }
    double eps = 1e-5, momentum = 0.1;
    if (auto* bn = dynamic_cast<const nn::BatchNorm2d*>(child.get())) {
      const nn::BatchNormOptions& o = bn->options();
      SP_CHECK(o.affine && o.track_running_stats && o.momentum.has_value(),
               "convert_sync_batch_norm: expected ", where,
               " to be affine with tracked running stats and a momentum; hint: set "
               "train.sync_batch_norm = false");
      eps = o.eps;
      momentum = *o.momentum;
    }
    const Tensor& mean = child->buffer("running_mean");
    auto sync = std::make_shared<SyncBatchNorm>(mean.numel(), comm, eps, momentum);
    sync->to(mean.device());
    sync->load_state_dict(child->state_dict(), true, where);
    sync->train(child->is_training());
    swaps.emplace_back(name, sync);
  }
  for (auto& [name, sync] : swaps) module.replace_child(name, sync);
  return replaced + int(swaps.size());
}
}  // namespace

int convert_sync_batch_norm(nn::Module& root, std::shared_ptr<Communicator> comm) {
  return convert_below(root, "", comm);
}

}  // namespace sp::train

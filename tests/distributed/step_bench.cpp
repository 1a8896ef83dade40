// distributed_step_bench: time of one data-parallel training step (forward, backward,
// gradient all-reduce, SGD) of a small VGG-like conv + SyncBatchNorm network on the
// CPU, for the scaling table of docs/DISTRIBUTED.md. Not a test.
//   distributed_step_bench [per_rank_batch=4] [steps=10] [height=60] [width=80]
//                          [mode=overlap|after] [bucket_bytes=25 MB]
//   mpirun -np 2 distributed_step_bench 2      (same global batch as 1 rank with 4)
// mode overlap: buckets start during backward (GradientBucketer::backward's steps);
// after: allreduce_gradients() after a plain backward. The all-reduce figure is the
// time spent after backward returned (finish(): waits, averaging, copies back).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "autograd/functions/elementwise.h"
#include "autograd/functions/reduce.h"
#include "nn/layers.h"
#include "tensor/ops/elementwise.h"
#include "tensor/ops/random.h"
#include "train/distributed/data_parallel.h"
#include "train/distributed/gradient_bucketer.h"
#include "train/distributed/sync_batch_norm.h"

using namespace sp;
using Clock = std::chrono::steady_clock;

static double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

int main(int argc, char** argv) {
  auto comm = train::init_distributed();
  try {
    const int64_t batch = argc > 1 ? std::atoll(argv[1]) : 4;
    const int steps = argc > 2 ? std::atoi(argv[2]) : 10;
    const int64_t h = argc > 3 ? std::atoll(argv[3]) : 60, w = argc > 4 ? std::atoll(argv[4]) : 80;
    const std::string mode = argc > 5 ? argv[5] : "overlap";
    SP_CHECK(mode == "overlap" || mode == "after",
             "distributed_step_bench: expected mode overlap or after, got ", mode);
    const size_t bucket_bytes =
        argc > 6 ? size_t(std::atoll(argv[6])) : train::GradientBucketer::kDefaultBucketBytes;
    Generator gen(7);
    nn::Sequential model;
    int64_t in = 1;
    for (int64_t out : {64, 64, 128, 128}) {
      model.push_back(std::make_shared<nn::Conv2d>(in, out, 3, 1, 1, gen));
      model.push_back(std::make_shared<train::SyncBatchNorm>(out, comm));
      model.push_back(std::make_shared<nn::ReLU>());
      in = out;
    }
    model.push_back(std::make_shared<nn::Conv2d>(in, 65, 1, 1, 0, gen));
    train::broadcast_parameters(model, *comm);
    train::GradientBucketer bucketer(model, comm, bucket_bytes);
    Generator data(100 + uint64_t(comm->rank()));
    Tensor x = randn({batch, 1, h, w}, data), target = randn({batch, 65, h, w}, data);
    double total = 0, reduce = 0;
    for (int step = -2; step < steps; ++step) {  // two warm-up steps
      comm->barrier();
      auto t0 = Clock::now();
      model.zero_grad();
      ag::Var loss = ag::mean(ag::square(ag::sub(model(ag::Var(x)), ag::Var(target))));
      if (mode == "overlap") {
        bucketer.prepare(loss);
        ag::backward(loss, {}, false, bucketer.hook());
      } else {
        ag::backward(loss);
      }
      auto t1 = Clock::now();
      bucketer.finish();
      double r = ms_since(t1);
      for (ag::Var& p : model.parameters()) {
        Tensor d = p.data();
        sub_(d, p.grad(), Scalar(0.01));
      }
      comm->barrier();
      if (step >= 0) total += ms_since(t0), reduce += r;
    }
    int64_t params = 0;
    for (const ag::Var& p : model.parameters()) params += p.numel();
    if (comm->is_root())
      std::printf(
          "ranks %d  per-rank batch %lld  global batch %lld  image %lldx%lld  params %lld  buckets "
          "%zu"
          " (%s, %zu started during backward)\n"
          "step %.1f ms  (gradient all-reduce after backward %.2f ms)  throughput %.1f images/s\n",
          comm->world_size(), (long long)batch, (long long)(batch * comm->world_size()),
          (long long)h, (long long)w, (long long)params, bucketer.bucket_count(), mode.c_str(),
          bucketer.buckets_started_during_backward(), total / steps, reduce / steps,
          1000.0 * double(batch * comm->world_size()) / (total / steps));
  } catch (const std::exception& e) {
    train::abort_distributed_job(e.what());
    std::fprintf(stderr, "distributed_step_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}

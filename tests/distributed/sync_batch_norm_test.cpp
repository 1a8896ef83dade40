// SyncBatchNorm against BatchNorm2d on the concatenated batch. Ranks hold batches of
// different sizes (rank r has r + 1 samples), so the element counts matter.
#include "train/distributed/sync_batch_norm.h"

#include <gtest/gtest.h>

#include "autograd/functions/elementwise.h"
#include "autograd/functions/reduce.h"
#include "distributed/world.h"
#include "helpers/test_helpers.h"
#include "nn/layers.h"
#include "tensor/ops/copy.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/elementwise.h"
#include "tensor/ops/random.h"

namespace sp::test {
namespace {

using train::Communicator;

void check_sync_batch_norm(std::shared_ptr<Communicator> comm, Device device) {
  const int rank = comm->rank(), world_size = comm->world_size();
  int64_t global = 0, start = 0;
  for (int r = 0; r < world_size; ++r) {
    if (r == rank) start = global;
    global += r + 1;
  }
  const int64_t mine = rank + 1;
  Generator gen(5);
  // An offset mean (3) makes a sum-of-squares variance formula work for its accuracy.
  Tensor x_all =
      add(mul(randn({global, 3, 4, 5}, gen, DType::F64), Scalar(2.0)), Scalar(3.0)).to(device);
  Tensor w_all = randn({global, 3, 4, 5}, gen, DType::F64).to(device);  // loss weights
  Tensor x = x_all.narrow(0, start, mine).contiguous();
  Tensor w = w_all.narrow(0, start, mine).contiguous();

  nn::BatchNorm2d reference(3, 1e-5, 0.2);
  train::SyncBatchNorm sync(3, comm, 1e-5, 0.2);
  for (nn::Module* m : {static_cast<nn::Module*>(&reference), static_cast<nn::Module*>(&sync)}) {
    m->to(DType::F64);
    m->to(device);
  }
  // Non-trivial affine parameters, identical in both (state dicts are interchangeable).
  copy_into(reference.param("weight").data(), from_vector<double>({0.5, -1.5, 2.0}).to(device));
  copy_into(reference.param("bias").data(), from_vector<double>({0.1, 0.2, -0.3}).to(device));
  sync.load_state_dict(reference.state_dict());

  for (int call = 0; call < 2; ++call) {
    ag::Var xr(x_all, true), xs(x, true);
    ag::Var yr = reference(xr), ys = sync(xs);
    EXPECT_TRUE(all_close(ys.data(), yr.data().narrow(0, start, mine), 1e-10, 1e-12))
        << "output, call " << call;
    ag::backward(ag::sum(ag::mul(yr, ag::Var(w_all))));
    ag::backward(ag::sum(ag::mul(ys, ag::Var(w))));
    EXPECT_TRUE(all_close(xs.grad(), xr.grad().narrow(0, start, mine), 1e-9, 1e-11))
        << "input grad, call " << call;
    for (const char* p : {"weight", "bias"}) {
      Tensor g = sync.param(p).grad().clone();  // local; the sum over ranks is the global one
      comm->allreduce_sum(g);
      EXPECT_TRUE(all_close(g, reference.param(p).grad(), 1e-9, 1e-11))
          << p << " grad, call " << call;
    }
    reference.zero_grad();
    sync.zero_grad();
  }
  for (const auto& [name, value] : reference.state_dict())
    EXPECT_TRUE(all_close(sync.state_dict().at(name), value, 1e-10, 1e-12)) << name;

  // Eval mode normalises with the (synchronised) running statistics, no collectives.
  reference.eval();
  sync.eval();
  EXPECT_TRUE(all_close(sync(ag::Var(x)).data(), reference(ag::Var(x)).data(), 1e-10, 1e-12));
}

TEST(SyncBatchNorm, EqualsBatchNormOnTheConcatenatedBatch) {
  check_sync_batch_norm(world(), kCPU);
}

TEST(SyncBatchNorm, WorldSizeOneEqualsBatchNorm2d) {
  check_sync_batch_norm(std::make_shared<train::SingleProcessCommunicator>(), kCPU);
}

TEST(SyncBatchNorm, StateDictNamesMatchBatchNorm2d) {
  nn::BatchNorm2d bn(6);
  train::SyncBatchNorm sync(6, world());
  auto a = bn.state_dict(), b = sync.state_dict();
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [name, value] : a) EXPECT_TRUE(b.count(name)) << name;
  EXPECT_SP_ERROR(sync(ag::Var(zeros({2, 5, 3, 3}))), "expected an input [N, 6, *]");
  // One value per channel over the whole world cannot give a batch variance.
  if (world()->world_size() == 1) {
    EXPECT_SP_ERROR(sync(ag::Var(zeros({1, 6, 1, 1}))), "more than 1 value");
  }
}

TEST(SyncBatchNormGpu, NcclEqualsBatchNorm) {
  SP_SKIP_WITHOUT_GPU();
  auto nccl = nccl_world();
  check_sync_batch_norm(nccl, train::device_for_rank(cuda_device(0), nccl->local_rank()));
}

}  // namespace
}  // namespace sp::test

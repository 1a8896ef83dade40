// GradientBucketer overlapped with backward (buckets started from the engine's
// LeafGradReadyHook): the same averaged gradients as the reduction after backward and as
// one process on the concatenated batch, with SyncBatchNorm's collectives inside the
// backward, with large and tiny buckets, and with parameters unused on some or all ranks.
// Plainly run, the MPI paths use a 1-process MPI communicator, so the overlap logic runs
// (with real collectives) in both runs.
#include <gtest/gtest.h>

#include <functional>
#include <tuple>

#include "autograd/functions/elementwise.h"
#include "autograd/functions/reduce.h"
#include "distributed/training_helpers.h"
#include "distributed/world.h"
#include "helpers/test_helpers.h"
#include "nn/layers.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/elementwise.h"
#include "tensor/ops/random.h"
#include "train/distributed/backends.h"
#include "train/distributed/data_parallel.h"
#include "train/distributed/gradient_bucketer.h"
#include "train/distributed/sync_batch_norm.h"

namespace sp::test {
namespace {

using train::Communicator;
using train::GradientBucketer;

// The world's communicator, or MPI with one process when the binary runs plainly.
std::shared_ptr<Communicator> mpi_world() {
  static std::shared_ptr<Communicator> comm =
      world()->backend() == "single" ? train::make_mpi_communicator() : world();
  return comm;
}

// Three models step together for `steps` SGD steps: one process on the global batch
// (BatchNorm2d), and on this rank's slice with SyncBatchNorm the reduction after
// backward and the overlapped one.
void check_overlapped_matches(std::shared_ptr<Communicator> comm, Device device,
                              size_t bucket_bytes, int steps = 2) {
  const auto [x_all, t_all, x, t] =
      rank_batch(comm->rank(), comm->world_size(), 2, 5, 4, 5, device);
  auto sync_norm = [&](int64_t c) { return std::make_shared<train::SyncBatchNorm>(c, comm); };
  auto reference = make_conv_norm_model(
      7, [](int64_t c) { return std::make_shared<nn::BatchNorm2d>(c); }, device, 2);
  auto after = make_conv_norm_model(7, sync_norm, device, 2),
       overlapped = make_conv_norm_model(7, sync_norm, device, 2);
  GradientBucketer after_bucketer(*after, comm, bucket_bytes),
      overlap_bucketer(*overlapped, comm, bucket_bytes);
  for (int step = 0; step < steps; ++step) {
    for (auto* m : {reference.get(), after.get(), overlapped.get()}) m->zero_grad();
    ag::backward(mse(*reference, x_all, t_all));
    ag::backward(mse(*after, x, t));
    after_bucketer.allreduce_gradients();
    overlap_bucketer.backward(mse(*overlapped, x, t));

    EXPECT_TRUE(overlap_bucketer.overlapped_last_step());
    // Every bucket completes inside backward (the first layer's parameters come last).
    EXPECT_EQ(overlap_bucketer.buckets_started_during_backward(), overlap_bucketer.bucket_count());
    EXPECT_EQ(after_bucketer.buckets_started_during_backward(), 0u);
    auto ref = reference->named_parameters(), a = after->named_parameters(),
         o = overlapped->named_parameters();
    ASSERT_EQ(o.size(), ref.size());
    for (size_t i = 0; i < o.size(); ++i) {
      ASSERT_TRUE(o[i].second.grad().defined()) << o[i].first;
      EXPECT_TRUE(all_close(o[i].second.grad(), a[i].second.grad(), 1e-9, 1e-12))
          << o[i].first << " overlapped vs after backward, step " << step;
      EXPECT_TRUE(all_close(o[i].second.grad(), ref[i].second.grad(), 1e-9, 1e-12))
          << o[i].first << " overlapped vs one process, step " << step;
    }
    for (auto* m : {reference.get(), after.get(), overlapped.get()}) sgd_step(*m, 0.1);
  }
  EXPECT_TRUE(train::parameters_in_sync(*overlapped, *comm));
}

TEST(OverlappedBucketer, EqualsReductionAfterBackwardAndOneProcess) {
  check_overlapped_matches(mpi_world(), kCPU, GradientBucketer::kDefaultBucketBytes);
}

TEST(OverlappedBucketer, TinyBucketsStartInOrderDuringBackward) {
  check_overlapped_matches(mpi_world(), kCPU,
                           100);  // about one parameter per bucket: many early starts
}

TEST(OverlappedBucketerGpu, NcclEqualsReductionAfterBackwardAndOneProcess) {
  SP_SKIP_WITHOUT_GPU();
  auto nccl = nccl_world();
  const Device device = train::device_for_rank(cuda_device(0), nccl->local_rank());
  check_overlapped_matches(nccl, device, GradientBucketer::kDefaultBucketBytes);
  check_overlapped_matches(nccl, device, 256);
}

// Parameters: `shared` used by every rank, `rank0` only by rank 0, `never` by none.
// Loss of rank r: sum((shared * x_r)^2) (+ sum(rank0 * x_r) on rank 0); the averaged
// gradient is the gradient of the mean of the ranks' losses, computed in one process.
struct UnusedCase {
  ag::Var shared{full({3}, 0.5, DType::F64), true, "shared"};
  ag::Var rank0{full({3}, -1.5, DType::F64), true, "rank0"};
  ag::Var never{full({2}, 2.0, DType::F64), true, "never"};
  std::vector<ag::Var> params() const { return {shared, rank0, never}; }
  static Tensor input(int r) { return full({3}, double(r + 1), DType::F64); }
  ag::Var loss(int r, bool use_rank0) const {
    ag::Var x(input(r));
    ag::Var l = ag::sum(ag::square(ag::mul(shared, x)));
    return use_rank0 ? ag::add(l, ag::sum(ag::mul(rank0, x))) : l;
  }
};

void check_unused(size_t bucket_bytes) {
  auto comm = mpi_world();
  const int rank = comm->rank(), n = comm->world_size();
  UnusedCase overlapped, after, one;
  GradientBucketer overlap_bucketer(overlapped.params(), comm, bucket_bytes);
  GradientBucketer after_bucketer(after.params(), comm, bucket_bytes);
  overlap_bucketer.backward(overlapped.loss(rank, rank == 0));
  ag::backward(after.loss(rank, rank == 0));
  after_bucketer.allreduce_gradients();
  ag::Var total = one.loss(0, true);
  for (int r = 1; r < n; ++r) total = ag::add(total, one.loss(r, false));
  ag::backward(ag::div(total, Scalar(double(n))));

  // With one rank the graphs agree; with more, rank0 is reached by some ranks only and
  // the step falls back to reducing after backward.
  EXPECT_EQ(overlap_bucketer.overlapped_last_step(), n == 1);
  if (n > 1) {
    EXPECT_EQ(overlap_bucketer.buckets_started_during_backward(), 0u);
  }
  for (const auto& [o, a, ref] : {std::tuple{overlapped.shared, after.shared, one.shared},
                                  std::tuple{overlapped.rank0, after.rank0, one.rank0}}) {
    ASSERT_TRUE(o.grad().defined()) << o.name();
    EXPECT_TRUE(all_close(o.grad(), a.grad(), 1e-9, 1e-12)) << o.name();
    EXPECT_TRUE(all_close(o.grad(), ref.grad(), 1e-9, 1e-12)) << o.name();
  }
  EXPECT_FALSE(overlapped.never.grad().defined());
  EXPECT_FALSE(after.never.grad().defined());
}

TEST(OverlappedBucketer, ParameterUnusedOnOneRankAveragesLikeOneProcess) {
  check_unused(GradientBucketer::kDefaultBucketBytes);
  check_unused(8);  // a bucket per parameter
}

TEST(OverlappedBucketer, ParameterUnusedOnEveryRankKeepsTheOverlap) {
  auto comm = mpi_world();
  UnusedCase c;
  GradientBucketer bucketer(c.params(), comm, 8);  // buckets: {never}, {rank0}, {shared}
  ASSERT_EQ(bucketer.bucket_count(), 3u);
  bucketer.backward(c.loss(comm->rank(), true));  // every rank uses shared and rank0
  EXPECT_TRUE(bucketer.overlapped_last_step());
  // {never} starts before backward runs (no rank reaches it), the others inside it.
  EXPECT_EQ(bucketer.buckets_started_during_backward(), 3u);
  EXPECT_FALSE(c.never.grad().defined());
  // d/d rank0 of mean_r sum(rank0 * x_r) = mean_r (r + 1).
  const double mean_x = (comm->world_size() + 1) / 2.0;
  EXPECT_TRUE(all_close(c.rank0.grad(), full({3}, mean_x, DType::F64), 1e-12, 0));
}

TEST(OverlappedBucketer, ParameterReportedTwiceIsAnError) {
  auto comm = mpi_world();
  UnusedCase c;
  GradientBucketer bucketer(c.params(), comm);
  EXPECT_SP_ERROR(bucketer.mark_ready(0), "prepare(loss) first");
  ag::Var loss = c.loss(comm->rank(), true);
  bucketer.prepare(loss);
  ag::backward(loss, {}, false, bucketer.hook());
  EXPECT_SP_ERROR(bucketer.mark_ready(0), "one report per step");
  EXPECT_SP_ERROR(bucketer.mark_ready(3), "below 3");
  bucketer.finish();  // every rank: the same collectives, then a clean state
  EXPECT_TRUE(
      all_close(c.rank0.grad(), full({3}, (comm->world_size() + 1) / 2.0, DType::F64), 1e-12, 0));
}

TEST(OverlappedBucketer, SingleProcessCommunicatorIsThePlainBackward) {
  UnusedCase plain, bucketed;
  GradientBucketer bucketer(bucketed.params(), std::make_shared<train::SingleProcessCommunicator>(),
                            8);
  ag::backward(plain.loss(0, true));
  bucketer.backward(bucketed.loss(0, true));
  EXPECT_TRUE(all_close(bucketed.shared.grad(), plain.shared.grad(), 0, 0));
  EXPECT_TRUE(all_close(bucketed.rank0.grad(), plain.rank0.grad(), 0, 0));
  EXPECT_EQ(bucketer.buckets_started_during_backward(), 0u);
}

}  // namespace
}  // namespace sp::test

// Collectives and shard sampling, on whatever world the binary runs in (1 rank plainly,
// 2 under the mpirun ctest entry).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <set>

#include "distributed/world.h"
#include "helpers/test_helpers.h"
#include "tensor/ops/creation.h"
#include "tensor/tensor.h"
#include "train/distributed/data_parallel.h"

namespace sp::test {
namespace {

using train::Communicator;
using train::ShardSampler;

// Every collective once on `device`; the first wrong result is the failure message.
::testing::AssertionResult collectives_work(Communicator& comm, Device device) {
  const int r = comm.rank(), n = comm.world_size();
  auto check = [](const char* what, ::testing::AssertionResult ok) {
    return ok ? ok : ::testing::AssertionFailure() << what << ": " << ok.message();
  };
  Tensor t = from_vector<float>({float(r + 1), float(10 * (r + 1)), -1.0f}).to(device);
  comm.allreduce_sum(t);
  float s = float(n * (n + 1) / 2);
  if (auto ok = check("allreduce_sum",
                      all_close(t, from_vector<float>({s, 10 * s, -float(n)}).to(device), 0, 0));
      !ok)
    return ok;

  Tensor m = full({2, 3}, double(r), DType::F64, device);
  comm.allreduce_mean(m);
  if (auto ok = check("allreduce_mean",
                      all_close(m, full({2, 3}, (n - 1) / 2.0, DType::F64, device), 0, 0));
      !ok)
    return ok;

  Tensor async = full({5}, 1.0, DType::F32, device);
  comm.allreduce_sum_async(async)->wait();
  if (auto ok = check("allreduce_sum_async",
                      all_close(async, full({5}, double(n), DType::F32, device), 0, 0));
      !ok)
    return ok;

  Tensor ints = full({3}, double(r), DType::I64, device);
  comm.allreduce_sum(ints);
  if (ints.cpu().to_vector<int64_t>() != std::vector<int64_t>(3, int64_t(n) * (n - 1) / 2))
    return ::testing::AssertionFailure() << "allreduce_sum of i64: got " << ints.cpu();

  Tensor b = full({4}, double(r + 7), DType::F32, device);
  comm.broadcast(b, n - 1);
  if (auto ok =
          check("broadcast", all_close(b, full({4}, double(n - 1 + 7), DType::F32, device), 0, 0));
      !ok)
    return ok;

  Tensor empty_tensor = empty({0}, DType::F32, device);
  comm.allreduce_sum(empty_tensor);  // a no-op, not an error
  Tensor strided = zeros({4, 4}, DType::F32, device).t();
  try {
    comm.allreduce_sum(strided);
    return ::testing::AssertionFailure() << "allreduce_sum of a transposed view: expected an error";
  } catch (const Error& e) {
    if (std::string(e.what()).find("contiguous") == std::string::npos)
      return ::testing::AssertionFailure()
             << "allreduce_sum of a transposed view: unexpected error " << e.what();
  }
  comm.barrier();
  return ::testing::AssertionSuccess();
}

TEST(Communicator, RankAndWorldSize) {
  auto comm = world();
  EXPECT_GE(comm->rank(), 0);
  EXPECT_LT(comm->rank(), comm->world_size());
  EXPECT_GE(comm->local_rank(), 0);
  EXPECT_EQ(comm->backend(), comm->world_size() == 1 ? "single" : "mpi");
  std::vector<int> ranks = comm->allgather(comm->rank());
  ASSERT_EQ(int(ranks.size()), comm->world_size());
  for (int i = 0; i < comm->world_size(); ++i) EXPECT_EQ(ranks[i], i);
  // Variable-length host data.
  std::vector<uint8_t> mine(size_t(comm->rank() + 1), uint8_t(comm->rank()));
  auto all = comm->allgather_bytes(mine);
  for (int i = 0; i < comm->world_size(); ++i)
    EXPECT_EQ(all[i], std::vector<uint8_t>(size_t(i + 1), uint8_t(i)));
}

TEST(Communicator, HostAgreement) {
  auto comm = world();
  const int n = comm->world_size(), r = comm->rank();
  EXPECT_TRUE(train::any_rank(*comm, r == n - 1));
  EXPECT_FALSE(train::any_rank(*comm, false));
  EXPECT_DOUBLE_EQ(train::mean_over_ranks(*comm, double(r)), (n - 1) / 2.0);
}

TEST(Communicator, CollectivesOnCpuTensors) {
  EXPECT_TRUE(collectives_work(*world(), kCPU));
}

TEST(Communicator, SingleProcessIsIdentity) {
  train::SingleProcessCommunicator single;
  Tensor t = from_vector<float>({1, 2, 3});
  single.allreduce_mean(t);
  EXPECT_TRUE(all_close(t, from_vector<float>({1, 2, 3}), 0, 0));
  EXPECT_SP_ERROR(single.broadcast(t, 1), "root rank 0");
  EXPECT_TRUE(collectives_work(single, kCPU));
}

TEST(Communicator, NotLaunchedByMpiMeansSingleProcess) {
  EXPECT_EQ(train::launched_by_mpi(), world()->world_size() > 1 || world()->backend() == "mpi");
  auto cmd = train::mpirun_command(4, {"sptrain", "train", "x"}, {"--allow-run-as-root"});
  EXPECT_EQ(cmd, (std::vector<std::string>{"mpirun", "-np", "4", "--allow-run-as-root", "sptrain",
                                           "train", "x"}));
  EXPECT_SP_ERROR(train::mpirun_command(0, {"sptrain"}), "at least one process");
}

TEST(CommunicatorGpu, NcclCollectives) {
  SP_SKIP_WITHOUT_GPU();
  auto nccl = nccl_world();
  EXPECT_EQ(nccl->backend(), "nccl");
  EXPECT_EQ(nccl->world_size(), world()->world_size());
  EXPECT_TRUE(collectives_work(*nccl, train::device_for_rank(cuda_device(0), nccl->local_rank())));
}

TEST(CommunicatorGpu, MpiStagesCudaTensorsThroughHost) {
  SP_SKIP_WITHOUT_GPU();
  auto mpi = world();
  EXPECT_TRUE(collectives_work(*mpi, train::device_for_rank(cuda_device(0), mpi->local_rank())));
}

// Run by hand (docs/DISTRIBUTED.md): rank 1 throws while rank 0 waits in a collective;
// the job must end at once with the message, not hang.
TEST(Communicator, DISABLED_OneRankThrowingEndsTheJob) {
  auto comm = world();
  if (comm->rank() == 1) SP_CHECK(false, "rank 1 fails on purpose");
  Tensor t = zeros({4});
  comm->allreduce_sum(t);
  EXPECT_EQ(comm->world_size(), 1)
      << "rank 0 went on after rank 1 failed: the job should have ended";
}

// ---- shards

std::vector<std::vector<int64_t>> all_shards(int64_t size, int world_size, int64_t epoch,
                                             bool drop_last) {
  std::vector<std::vector<int64_t>> shards;
  for (int r = 0; r < world_size; ++r)
    shards.push_back(ShardSampler(size, r, world_size, 42, true, drop_last).indices(epoch));
  return shards;
}

TEST(ShardSampler, DisjointCoveringEqualSizes) {
  for (int world_size : {1, 2, 3, 4}) {
    for (int64_t size : {0, 1, 7, 12}) {
      auto shards = all_shards(size, world_size, 3, false);
      std::multiset<int64_t> seen;
      for (auto& s : shards) {
        EXPECT_EQ(int64_t(s.size()), (size + world_size - 1) / world_size);
        seen.insert(s.begin(), s.end());
      }
      std::set<int64_t> distinct(seen.begin(), seen.end());
      EXPECT_EQ(int64_t(distinct.size()), size)
          << "covering, size " << size << " world " << world_size;
      if (size % world_size == 0) {
        EXPECT_EQ(seen.size(), distinct.size()) << "disjoint";
      }
      // Padding repeats at most world_size - 1 samples.
      EXPECT_LT(int64_t(seen.size()) - size, world_size);
      if (size > 0 && size < world_size) {
        EXPECT_SP_ERROR(ShardSampler(size, 0, world_size, 42, true, true),
                        "drop_last leaves no sample");
        continue;
      }
      auto dropped = all_shards(size, world_size, 3, true);
      std::set<int64_t> kept;
      for (auto& s : dropped) {
        EXPECT_EQ(int64_t(s.size()), size / world_size);
        for (int64_t i : s)
          EXPECT_TRUE(kept.insert(i).second) << "drop_last shards overlap at " << i;
      }
    }
  }
}

TEST(ShardSampler, SamePermutationPerEpochOnEveryRankNewOneNextEpoch) {
  ShardSampler a(100, 0, 2, 7), b(100, 1, 2, 7);
  EXPECT_EQ(a.epoch_order(5), b.epoch_order(5));
  EXPECT_NE(a.epoch_order(5), a.epoch_order(6));
  std::vector<int64_t> sorted = a.epoch_order(5);
  std::sort(sorted.begin(), sorted.end());
  for (int64_t i = 0; i < 100; ++i) EXPECT_EQ(sorted[size_t(i)], i);
  ShardSampler ordered(5, 1, 2, 7, /*shuffle=*/false);
  EXPECT_EQ(ordered.indices(0), (std::vector<int64_t>{1, 3, 0}));  // 5 pads with sample 0
  EXPECT_SP_ERROR(ShardSampler(10, 2, 2), "rank < world_size");
}

TEST(ShardSampler, RanksOfThisRunGetDisjointCoveringShards) {
  auto comm = world();
  const int64_t size = 10 * comm->world_size();
  ShardSampler mine(size, comm->rank(), comm->world_size(), 3);
  std::vector<int64_t> indices = mine.indices(2);
  std::vector<uint8_t> bytes(indices.size() * sizeof(int64_t));
  std::memcpy(bytes.data(), indices.data(), bytes.size());
  std::set<int64_t> seen;
  for (const auto& other : comm->allgather_bytes(bytes)) {
    ASSERT_EQ(other.size(), bytes.size());
    std::vector<int64_t> theirs(indices.size());
    std::memcpy(theirs.data(), other.data(), other.size());
    for (int64_t i : theirs) EXPECT_TRUE(seen.insert(i).second) << "index " << i << " on two ranks";
  }
  EXPECT_EQ(int64_t(seen.size()), size);
}

// A dataset whose sample i holds i and the seed it was asked for.
class Indices : public data::Dataset {
 public:
  explicit Indices(int64_t n) : n_(n) {}
  int64_t size() const override { return n_; }
  data::Sample get(int64_t index, uint64_t seed) const override {
    return {{"index", full({}, double(index), DType::I64)},
            {"seed", full({}, double(seed % 1000003), DType::I64)}};
  }

 private:
  int64_t n_;
};

TEST(ShardedDataset, ServesThisRanksShardOfEachEpoch) {
  auto base = std::make_shared<Indices>(9);
  ShardSampler sampler(9, 1, 2, 11);
  train::ShardedDataset shard(base, sampler);
  EXPECT_EQ(shard.size(), 5);
  for (int64_t epoch : {0, 1}) {
    shard.set_epoch(epoch);
    std::vector<int64_t> expected = sampler.indices(epoch), got;
    for (int64_t i = 0; i < shard.size(); ++i)
      got.push_back(shard.get(i, 100).at("index").item<int64_t>());
    EXPECT_EQ(got, expected) << "epoch " << epoch;
  }
  // Ranks draw different augmentation seeds for the same loader seed.
  train::ShardedDataset other(base, ShardSampler(9, 0, 2, 11));
  EXPECT_NE(other.get(0, 100).at("seed").item<int64_t>(),
            shard.get(0, 100).at("seed").item<int64_t>());
  EXPECT_SP_ERROR(shard.get(5, 0), "expected an index in [0, 5)");
}

}  // namespace
}  // namespace sp::test

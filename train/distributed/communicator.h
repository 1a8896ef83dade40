// Data-parallel collectives. A Communicator joins the processes of one training run
// (launched by `mpirun -np N`): rank, world size, the rank on this machine, and in-place
// collectives on flat tensors. Backends:
//   SingleProcessCommunicator  world size 1, every collective a no-op (the plain trainer);
//   MpiCommunicator            CPU tensors over MPI (CUDA tensors are staged through host
//                              memory), also the bootstrap of NCCL;
//   NcclCommunicator           CUDA tensors over NCCL on a stream of its own.
// Every rank must call the same collectives in the same order with the same shapes.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "tensor/tensor.h"

namespace sp::train {

// An asynchronous collective started by allreduce_sum_async: wait() makes its result
// visible (to the host for MPI, to the device's compute stream for NCCL).
class PendingCollective {
 public:
  virtual ~PendingCollective() = default;
  virtual void wait() = 0;
};

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual std::string backend() const = 0;  // "single", "mpi", "nccl"
  virtual int rank() const = 0;
  virtual int world_size() const = 0;
  virtual int local_rank() const = 0;  // rank among the processes of this machine
  bool is_root() const { return rank() == 0; }

  // t = sum over ranks of t, in place. t must be contiguous (f32, f64, i32, i64, u8).
  virtual void allreduce_sum(Tensor& t) = 0;
  // Starts allreduce_sum(t); t must stay alive and untouched until wait().
  virtual std::unique_ptr<PendingCollective> allreduce_sum_async(Tensor& t);
  // t = mean over ranks of t (floating t).
  void allreduce_mean(Tensor& t);
  // t = root's t on every rank, in place (contiguous).
  virtual void broadcast(Tensor& t, int root = 0) = 0;
  // Every rank's bytes, indexed by rank (small host data: flags, counts, names).
  virtual std::vector<std::vector<uint8_t>> allgather_bytes(const std::vector<uint8_t>& mine) = 0;
  virtual void barrier() = 0;

  // allgather of one trivially copyable value per rank.
  template <typename T>
  std::vector<T> allgather(const T& value) {
    static_assert(std::is_trivially_copyable_v<T>);
    std::vector<uint8_t> mine(sizeof(T));
    std::memcpy(mine.data(), &value, sizeof(T));
    std::vector<std::vector<uint8_t>> all = allgather_bytes(mine);
    std::vector<T> out(all.size());
    for (size_t r = 0; r < all.size(); ++r) std::memcpy(&out[r], all[r].data(), sizeof(T));
    return out;
  }
};

class SingleProcessCommunicator : public Communicator {
 public:
  std::string backend() const override { return "single"; }
  int rank() const override { return 0; }
  int world_size() const override { return 1; }
  int local_rank() const override { return 0; }
  void allreduce_sum(Tensor& t) override;
  void broadcast(Tensor& t, int root = 0) override;
  std::vector<std::vector<uint8_t>> allgather_bytes(const std::vector<uint8_t>& mine) override {
    return {mine};
  }
  void barrier() override {}
};

// What the launch asks for.
struct DistributedOptions {
  // Also initialise MPI when no mpirun launcher is detected (a 1-process MPI run).
  bool force_mpi = false;
  // Where the model lives: a CUDA device selects NCCL (bootstrapped over MPI), the CPU
  // selects MPI. For a CUDA run pass cuda_device(local_rank) once the rank is known, or
  // leave device_from_local_rank on.
  Device device = kCPU;
  bool device_from_local_rank = true;  // CUDA: use cuda:<local_rank % GPUs>
};

// True when this process was started by mpirun (OpenMPI's OMPI_COMM_WORLD_SIZE, or the
// PMI/PMIx variables of other launchers).
bool launched_by_mpi();

// The communicator of this run: SingleProcess when not launched by mpirun (and not
// forced), else MPI (CPU device) or NCCL (CUDA device). Initialises MPI once per
// process; MPI is finalised at exit.
std::shared_ptr<Communicator> init_distributed(const DistributedOptions& options = {});

// For apps and test harnesses, when a command failed on this rank: ends every process of
// an MPI run after printing `message` (the others may be waiting in a collective, and
// MPI's finalize at exit would wait for them; NCCL communicators end with the processes).
// Returns when MPI is not running or the job has one process (nobody waits for it).
void abort_distributed_job(const std::string& message);

// The device rank `local_rank` should train on: cuda:<local_rank mod GPU count> for a
// CUDA request, the CPU otherwise.
Device device_for_rank(Device requested, int local_rank);

// The argument vector that relaunches this program under mpirun with `processes` ranks
// on this machine (`sptrain --distributed`): {"mpirun", "-np", "N", ..., argv...}.
// `extra_mpirun_args` go before the program (e.g. "--allow-run-as-root").
std::vector<std::string> mpirun_command(int processes, const std::vector<std::string>& argv,
                                        const std::vector<std::string>& extra_mpirun_args = {});

}  // namespace sp::train

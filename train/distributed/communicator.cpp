#include "train/distributed/communicator.h"

#include <cstdlib>

#include "tensor/cuda/context.h"
#include "tensor/ops/elementwise.h"
#include "train/distributed/backends.h"

namespace sp::train {
namespace {

class CompletedCollective : public PendingCollective {
 public:
  void wait() override {}
};

void check_contiguous(const Tensor& t, const char* what) {
  check_defined(t, what);
  SP_CHECK(t.is_contiguous(), what, ": expected a contiguous tensor, got ", t.meta(),
           " with strides ", t.strides());
}

}  // namespace

std::unique_ptr<PendingCollective> Communicator::allreduce_sum_async(Tensor& t) {
  allreduce_sum(t);
  return std::make_unique<CompletedCollective>();
}

void Communicator::allreduce_mean(Tensor& t) {
  check_floating(t, "allreduce_mean", "t");
  allreduce_sum(t);
  if (world_size() > 1) mul_(t, Scalar(1.0 / world_size()));
}

void SingleProcessCommunicator::allreduce_sum(Tensor& t) {
  check_contiguous(t, "allreduce_sum");
}

void SingleProcessCommunicator::broadcast(Tensor& t, int root) {
  check_contiguous(t, "broadcast");
  SP_CHECK(root == 0, "broadcast: expected root rank 0 in a single process, got ", root);
}

bool launched_by_mpi() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"})
    if (std::getenv(name) != nullptr) return true;
  return false;
}

Device device_for_rank(Device requested, int local_rank) {
  if (!requested.is_cuda()) return kCPU;
  int gpus = cuda::device_count();
  SP_CHECK(gpus > 0, "distributed: expected a GPU for device ", requested.str(),
           ", got none; hint: train on cpu");
  return cuda_device(local_rank % gpus);
}

std::shared_ptr<Communicator> init_distributed(const DistributedOptions& options) {
  if (!launched_by_mpi() && !options.force_mpi)
    return std::make_shared<SingleProcessCommunicator>();
  std::shared_ptr<Communicator> mpi = make_mpi_communicator();
  if (!options.device.is_cuda()) return mpi;
  Device device = options.device_from_local_rank
                      ? device_for_rank(options.device, mpi->local_rank())
                      : options.device;
  return make_nccl_communicator(mpi, device.index);
}

std::vector<std::string> mpirun_command(int processes, const std::vector<std::string>& argv,
                                        const std::vector<std::string>& extra_mpirun_args) {
  SP_CHECK(processes >= 1, "distributed: expected at least one process, got ", processes);
  SP_CHECK(!argv.empty(), "distributed: expected the program's argv, got an empty one");
  std::vector<std::string> command{"mpirun", "-np", std::to_string(processes)};
  command.insert(command.end(), extra_mpirun_args.begin(), extra_mpirun_args.end());
  command.insert(command.end(), argv.begin(), argv.end());
  return command;
}

}  // namespace sp::train

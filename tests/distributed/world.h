// The communicator of the distributed test run (set up by main.cpp): SingleProcess when
// the binary runs plainly, MPI under `mpirun -np N`. Every test runs on every rank and
// must call the same collectives in the same order; a fatal failure or an exception on
// one rank ends all ranks (MPI_Abort with the message) instead of hanging.
#pragma once

#include <memory>

#include "tensor/device.h"
#include "train/distributed/communicator.h"

namespace sp::test {

std::shared_ptr<train::Communicator> world();
// An NCCL communicator over the world's ranks on this rank's GPU (MPI is initialised
// as a 1-process job when the binary did not start under mpirun). Needs a GPU.
std::shared_ptr<train::Communicator> nccl_world();

}  // namespace sp::test

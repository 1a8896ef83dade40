// Constructors of the multi-process Communicator backends (communicator.h). MPI and
// NCCL types stay inside the .cpp files.
#pragma once

#include <memory>

#include "train/distributed/communicator.h"

namespace sp::train {

// MPI_COMM_WORLD of this process; initialises MPI (thread level FUNNELED) on first use
// and finalises it at exit.
std::shared_ptr<Communicator> make_mpi_communicator();

// An NCCL communicator over the ranks of `bootstrap` (rank 0 makes the unique id and
// broadcasts it over `bootstrap`), on CUDA device `device`, with a stream of its own.
std::shared_ptr<Communicator> make_nccl_communicator(std::shared_ptr<Communicator> bootstrap,
                                                     int device);

}  // namespace sp::train

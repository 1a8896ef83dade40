// gtest main for distributed_tests: one communicator for the run, full output from rank
// 0 only, and the exit status of any rank failing is the status of all.
#include <gtest/gtest.h>

#include <cstdio>
#include <exception>
#include <iostream>

#include "distributed/world.h"
#include "tensor/cuda/context.h"
#include "train/distributed/backends.h"

namespace sp::test {
namespace {

std::shared_ptr<train::Communicator>& world_slot() {
  static std::shared_ptr<train::Communicator> comm;
  return comm;
}

// A fatal failure (ASSERT_*) returns from the test on this rank only; the other ranks
// would wait in the next collective forever. End the whole job instead.
class AbortOnFatalFailure : public ::testing::EmptyTestEventListener {
  void OnTestPartResult(const ::testing::TestPartResult& result) override {
    if (!result.fatally_failed()) return;
    std::string where = result.file_name() ? std::string(result.file_name()) + ":" +
                                                 std::to_string(result.line_number())
                                           : "";
    train::abort_distributed_job("fatal test failure at " + where + ": " + result.summary());
  }
};

// A failure printer for ranks other than 0 (whose output would interleave).
class FailurePrinter : public ::testing::EmptyTestEventListener {
 public:
  explicit FailurePrinter(int rank) : rank_(rank) {}
  void OnTestPartResult(const ::testing::TestPartResult& result) override {
    if (!result.failed()) return;
    std::fprintf(stderr, "[rank %d] %s:%d: Failure\n%s\n", rank_,
                 result.file_name() ? result.file_name() : "?", result.line_number(),
                 result.summary());
  }

 private:
  int rank_;
};

}  // namespace

std::shared_ptr<train::Communicator> world() {
  return world_slot();
}

std::shared_ptr<train::Communicator> nccl_world() {
  static std::shared_ptr<train::Communicator> nccl;
  if (!nccl) {
    std::shared_ptr<train::Communicator> bootstrap = world();
    if (bootstrap->backend() == "single") bootstrap = train::make_mpi_communicator();
    Device device = train::device_for_rank(cuda_device(0), bootstrap->local_rank());
    nccl = train::make_nccl_communicator(bootstrap, device.index);
  }
  return nccl;
}

}  // namespace sp::test

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  std::shared_ptr<sp::train::Communicator> comm;
  try {
    comm = sp::train::init_distributed();
  } catch (const std::exception& e) {
    std::cerr << "distributed_tests: " << e.what() << "\n";
    return 1;
  }
  sp::test::world_slot() = comm;
  if (comm->world_size() > 1) {
    // Exceptions escape the test body and reach terminate: MPI_Abort with the message.
    GTEST_FLAG_SET(catch_exceptions, false);
    std::set_terminate([] {
      std::string what = "terminate without an active exception";
      if (std::exception_ptr e = std::current_exception()) {
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          what = std::string("uncaught exception: ") + ex.what();
        } catch (...) {
          what = "uncaught non-standard exception";
        }
      }
      sp::train::abort_distributed_job(what);
      std::abort();
    });
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    listeners.Append(new sp::test::AbortOnFatalFailure);
    if (comm->rank() != 0) {
      delete listeners.Release(listeners.default_result_printer());
      listeners.Append(new sp::test::FailurePrinter(comm->rank()));
    }
  }
  int status = RUN_ALL_TESTS();
  std::vector<int> all = comm->allgather(status);
  for (int s : all)
    if (s != 0) return 1;
  return 0;
}

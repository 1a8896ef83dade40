#include "train/interrupt.h"

#include <unistd.h>

#include <atomic>
#include <csignal>

namespace sp::train {

namespace {
std::atomic<bool> g_requested{false};
struct sigaction g_previous;

void on_sigint(int) {
  if (g_requested.exchange(true)) {
    // Second Ctrl+C: abort now, the way an unhandled SIGINT would.
    std::signal(SIGINT, SIG_DFL);
    std::raise(SIGINT);
    return;
  }
  const char msg[] =
      "\ninterrupt: finishing this step and writing a checkpoint (Ctrl+C again to abort)\n";
  (void)!write(STDERR_FILENO, msg, sizeof msg - 1);
}
}  // namespace

InterruptGuard::InterruptGuard() {
  struct sigaction sa {};
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &g_previous);
}

InterruptGuard::~InterruptGuard() {
  sigaction(SIGINT, &g_previous, nullptr);
}

bool interrupt_requested() {
  return g_requested.load();
}
void request_interrupt() {
  g_requested.store(true);
}
void clear_interrupt() {
  g_requested.store(false);
}

}  // namespace sp::train

// Graceful Ctrl+C for long jobs: the first SIGINT only raises a flag that the training
// loop polls (it then writes an "_interrupted" checkpoint and returns normally); a second
// SIGINT restores the default handler's behaviour and ends the process at once.
#pragma once

namespace sp::train {

// Installs the handler for the lifetime of the guard (the previous one comes back after).
class InterruptGuard {
 public:
  InterruptGuard();
  ~InterruptGuard();
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;
};

bool interrupt_requested();
// What the handler does on the first SIGINT; tests call it to simulate Ctrl+C.
void request_interrupt();
void clear_interrupt();

}  // namespace sp::train

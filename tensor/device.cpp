#include "tensor/device.h"

#include "tensor/check.h"

namespace sp {

Device Device::parse(const std::string& spec) {
  if (spec == "cpu") return kCPU;
  if (spec == "cuda") return Device(DeviceType::CUDA, 0);
  if (spec.rfind("cuda:", 0) == 0 && spec.size() > 5) {
    const std::string idx = spec.substr(5);
    bool digits = idx.find_first_not_of("0123456789") == std::string::npos;
    SP_CHECK(digits && idx.size() < 4, "device: expected cpu, cuda or cuda:N, got '", spec, "'");
    return Device(DeviceType::CUDA, std::stoi(idx));
  }
  SP_FAIL("device: expected cpu, cuda or cuda:N, got '", spec, "'");
}

std::string Device::str() const {
  return is_cpu() ? "cpu" : "cuda:" + std::to_string(index);
}

std::ostream& operator<<(std::ostream& os, const Device& d) {
  return os << d.str();
}

}  // namespace sp

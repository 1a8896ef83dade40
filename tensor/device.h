// Where a tensor lives: "cpu" or "cuda:N".
#pragma once

#include <ostream>
#include <string>

namespace sp {

enum class DeviceType : uint8_t { CPU, CUDA };

struct Device {
  DeviceType type = DeviceType::CPU;
  int index = 0;

  constexpr Device() = default;
  constexpr Device(DeviceType t, int i = 0) : type(t), index(i) {}
  Device(const char* spec) : Device(parse(spec)) {}         // NOLINT: Device("cuda:0")
  Device(const std::string& spec) : Device(parse(spec)) {}  // NOLINT

  static Device parse(const std::string& spec);  // "cpu", "cuda", "cuda:1"
  bool is_cpu() const { return type == DeviceType::CPU; }
  bool is_cuda() const { return type == DeviceType::CUDA; }
  std::string str() const;
  bool operator==(const Device&) const = default;
};

inline constexpr Device kCPU{DeviceType::CPU, 0};
inline Device cuda_device(int index = 0) {
  return Device(DeviceType::CUDA, index);
}

std::ostream& operator<<(std::ostream& os, const Device& d);

}  // namespace sp

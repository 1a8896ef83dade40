// Eigen for the geometry and eval layers. GCC 12 reports false -Wmaybe-uninitialized
// warnings inside its own AVX-512 intrinsics when Eigen's fixed-size kernels are
// inlined with -march=native; the warning is disabled for the translation unit
// (a push/pop around the include would not cover the inlined instantiations).
#pragma once

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <Eigen/Core>
#include <Eigen/Dense>
#include <Eigen/Geometry>

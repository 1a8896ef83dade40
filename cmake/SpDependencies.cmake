# Third-party dependencies, all from Debian packages (scripts/install-deps.sh) and the
# CUDA toolkit in /usr/local/cuda.
find_package(OpenMP REQUIRED)
find_package(Eigen3 3.4 REQUIRED NO_MODULE)
find_package(HDF5 REQUIRED COMPONENTS C)
find_package(PNG REQUIRED)
find_package(CUDAToolkit REQUIRED)
find_package(Threads REQUIRED)
# Data-parallel training (train/distributed): OpenMPI from Debian; mpirun is
# MPIEXEC_EXECUTABLE, used by the 2-rank tests.
find_package(MPI REQUIRED COMPONENTS CXX)
# COLMAP databases (colmap/): SQLite from Debian (libsqlite3-dev).
find_package(SQLite3 REQUIRED)

if(NOT TARGET HDF5::HDF5)
  add_library(HDF5::HDF5 INTERFACE IMPORTED)
  target_include_directories(HDF5::HDF5 INTERFACE ${HDF5_INCLUDE_DIRS})
  target_link_libraries(HDF5::HDF5 INTERFACE ${HDF5_LIBRARIES})
endif()

# cuDNN and NCCL ship no CMake config files.
find_library(SP_CUDNN_LIB cudnn HINTS ${CUDAToolkit_LIBRARY_DIR} REQUIRED)
add_library(sp::cudnn INTERFACE IMPORTED)
target_link_libraries(sp::cudnn INTERFACE ${SP_CUDNN_LIB})
find_library(SP_NCCL_LIB nccl HINTS ${CUDAToolkit_LIBRARY_DIR} REQUIRED)
add_library(sp::nccl INTERFACE IMPORTED)
target_link_libraries(sp::nccl INTERFACE ${SP_NCCL_LIB})

find_library(SP_TURBOJPEG_LIB turbojpeg REQUIRED)
add_library(sp::turbojpeg INTERFACE IMPORTED)
target_link_libraries(sp::turbojpeg INTERFACE ${SP_TURBOJPEG_LIB})

find_path(SP_TOMLPP_INCLUDE toml++/toml.h REQUIRED)
add_library(sp::tomlplusplus INTERFACE IMPORTED)
target_include_directories(sp::tomlplusplus INTERFACE ${SP_TOMLPP_INCLUDE})
find_library(SP_TOMLPP_LIB tomlplusplus)
if(SP_TOMLPP_LIB)
  target_link_libraries(sp::tomlplusplus INTERFACE ${SP_TOMLPP_LIB})
endif()

# sp_layer(<dir> DEPS ...): one static library per layer folder, named sp_<dir>.
#
# Each layer sees its own headers and those of the layers it depends on, and nothing
# else: the include root of layer L is a folder holding a single link L -> source/L, so
# `#include "nn/module.h"` from tensor/ does not compile. That is what keeps includes
# pointing down.
function(sp_layer dir)
  cmake_parse_arguments(ARG "" "" "DEPS" ${ARGN})
  set(src ${CMAKE_SOURCE_DIR}/${dir})
  file(GLOB_RECURSE sources CONFIGURE_DEPENDS ${src}/*.cpp ${src}/*.cu)
  set(inc ${CMAKE_BINARY_DIR}/include/${dir})
  file(MAKE_DIRECTORY ${inc})
  file(CREATE_LINK ${src} ${inc}/${dir} SYMBOLIC)
  if(sources)
    add_library(sp_${dir} STATIC ${sources})
    target_include_directories(sp_${dir} PUBLIC ${inc})
    target_link_libraries(sp_${dir} PUBLIC ${ARG_DEPS})
    target_compile_options(sp_${dir} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:${SP_CXX_FLAGS}>)
    target_compile_options(sp_${dir} PRIVATE
      $<$<COMPILE_LANGUAGE:CUDA>:--expt-relaxed-constexpr --extended-lambda -Xcompiler=-Wall,-Wextra>)
    set_target_properties(sp_${dir} PROPERTIES CUDA_SEPARABLE_COMPILATION OFF POSITION_INDEPENDENT_CODE ON)
  else()
    add_library(sp_${dir} INTERFACE)
    target_include_directories(sp_${dir} INTERFACE ${inc})
    target_link_libraries(sp_${dir} INTERFACE ${ARG_DEPS})
  endif()
endfunction()

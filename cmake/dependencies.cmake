# Every dependency is a Debian package; scripts/install-deps.sh installs them.
find_package(Torch REQUIRED)   # libtorch-dev, or -DCMAKE_PREFIX_PATH=<torch install> for CUDA
find_package(yaml-cpp REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(fmt REQUIRED)
find_package(CLI11 REQUIRED)
find_package(Eigen3 3.4 REQUIRED NO_MODULE)
find_package(Threads REQUIRED)

# LibTorch's exported targets carry plain include dirs; make them SYSTEM so -Werror sees only us.
add_library(pita_torch INTERFACE)
target_include_directories(pita_torch SYSTEM INTERFACE ${TORCH_INCLUDE_DIRS})
target_link_libraries(pita_torch INTERFACE ${TORCH_LIBRARIES})
target_compile_options(pita_torch INTERFACE ${TORCH_CXX_FLAGS})

if(PITA_USE_TCMALLOC)
  find_library(PITA_TCMALLOC NAMES tcmalloc_minimal libtcmalloc_minimal.so.4)
  if(PITA_TCMALLOC)
    message(STATUS "pita: linking ${PITA_TCMALLOC}")
  else()
    message(WARNING "pita: tcmalloc not found (apt-get install libtcmalloc-minimal4); "
                    "large-tensor work will be 3-5x slower")
    set(PITA_TCMALLOC "")
  endif()
endif()

# Warn when LibTorch would run on the reference netlib BLAS (~50x slower, docs/TOOLCHAIN.md).
if(EXISTS /etc/alternatives/libblas.so.3-x86_64-linux-gnu)
  file(READ_SYMLINK /etc/alternatives/libblas.so.3-x86_64-linux-gnu _pita_blas)
  if(NOT _pita_blas MATCHES "openblas|mkl|blis")
    message(WARNING "pita: libblas.so.3 points to ${_pita_blas}; LibTorch will be ~50x slower. "
                    "Fix: apt-get install libopenblas0-openmp")
  endif()
endif()

if(PITA_WITH_OPENMM)
  find_package(OpenMM)
  if(NOT OpenMM_FOUND)
    message(WARNING "pita: OpenMM not found; building without molecular targets "
                    "(apt-get install libopenmm-dev libopenmm-plugins)")
    set(PITA_WITH_OPENMM OFF)
  endif()
endif()

# LEMON (liblemon-dev): its network simplex solves the exact optimal-transport problems of the
# metrics (the algorithm POT's emd uses). Header templates only; no library to link.
find_package(lemon REQUIRED CONFIG)
add_library(pita_lemon INTERFACE)
target_include_directories(pita_lemon SYSTEM INTERFACE ${LEMON_INCLUDE_DIRS})

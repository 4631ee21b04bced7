# PITA_PYTHON: the Python module `pita` (python/). It is built for Debian's /usr/bin/python3
# against Debian's python3-torch, which is the same LibTorch build the library links, so tensors
# cross without copies. ON by default when pybind11, the Python headers and the torch package
# are found; otherwise OFF with the packages to install. Never in sanitizer builds: an
# ASan-instrumented extension cannot load into an uninstrumented interpreter.
option(PITA_PYTHON "Build the Python module `pita` (pybind11-dev, python3-dev, python3-torch)" ON)

if(PITA_PYTHON AND PITA_SANITIZE)
  message(STATUS "pita: Python module off in sanitizer builds (an instrumented extension cannot "
                 "load into an uninstrumented python)")
  set(PITA_PYTHON OFF)
endif()

if(PITA_PYTHON)
  # Debian's torch is installed for the system interpreter; a pyenv shim earlier on PATH has none.
  if(NOT DEFINED Python3_EXECUTABLE AND EXISTS /usr/bin/python3)
    set(Python3_EXECUTABLE /usr/bin/python3 CACHE FILEPATH "The Python the module is built for")
  endif()
  find_package(Python3 COMPONENTS Interpreter Development.Module)
  set(_pita_python_missing "")
  if(NOT Python3_Development.Module_FOUND)
    list(APPEND _pita_python_missing "Python headers (python3-dev)")
  else()
    find_package(pybind11 2.6 CONFIG QUIET)
    if(NOT pybind11_FOUND)
      list(APPEND _pita_python_missing "pybind11 (pybind11-dev)")
    endif()
    execute_process(
      COMMAND ${Python3_EXECUTABLE} -c "import torch; print(torch.__version__.split('+')[0])"
      OUTPUT_VARIABLE _pita_py_torch RESULT_VARIABLE _pita_py_torch_rc
      OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    find_library(PITA_TORCH_PYTHON_LIBRARY torch_python PATHS "${TORCH_INSTALL_PREFIX}/lib")
    if(NOT _pita_py_torch_rc EQUAL 0)
      list(APPEND _pita_python_missing "the torch package for ${Python3_EXECUTABLE} (python3-torch)")
    elseif(NOT PITA_TORCH_PYTHON_LIBRARY)
      list(APPEND _pita_python_missing "libtorch_python.so (libtorch1.13)")
    else()
      # Tensors cross by pointer only between the same LibTorch: the major.minor must agree.
      string(REGEX MATCH "^[0-9]+\\.[0-9]+" _pita_py_torch_mm "${_pita_py_torch}")
      string(REGEX MATCH "^[0-9]+\\.[0-9]+" _pita_torch_mm "${Torch_VERSION}")
      if(_pita_torch_mm AND NOT _pita_py_torch_mm STREQUAL _pita_torch_mm)
        list(APPEND _pita_python_missing
             "a torch package of LibTorch ${Torch_VERSION}'s build (found torch ${_pita_py_torch})")
      endif()
    endif()
  endif()
  if(_pita_python_missing)
    string(REPLACE ";" ", " _pita_python_missing "${_pita_python_missing}")
    message(WARNING "pita: Python module off: missing ${_pita_python_missing}. "
                    "Run scripts/install-deps.sh (or -DPITA_PYTHON=OFF to silence this).")
    set(PITA_PYTHON OFF)
  else()
    message(STATUS "pita: Python module for ${Python3_EXECUTABLE} (torch ${_pita_py_torch}, "
                   "pybind11 ${pybind11_VERSION})")
  endif()
endif()

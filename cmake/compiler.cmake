# Warnings, build modes and ccache. Applied to our targets through
# atoll_warnings (an interface library), so third-party headers are not
# held to -Werror.

find_program(CCACHE_PROGRAM ccache)
if(CCACHE_PROGRAM)
  set(CMAKE_CXX_COMPILER_LAUNCHER ${CCACHE_PROGRAM})
endif()

add_library(atoll_warnings INTERFACE)
target_compile_options(atoll_warnings INTERFACE -Wall -Wextra -Werror
  -Wno-missing-field-initializers)
# GCC 12 reports Asio's awaitable frames (allocated by their own operator
# new, freed by their own operator delete) as mismatched once a coroutine
# that awaits another is analysed whole: a false positive Clang does not
# share, and Clang builds keep the check.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  target_compile_options(atoll_warnings INTERFACE -Wno-mismatched-new-delete)
endif()

# Build mode "sanitize": ASan + UBSan. Clang 14 cannot compile coroutines with
# -fsanitize=function ("Cannot represent a difference across sections").
set(ATOLL_SANITIZE_FLAGS -fsanitize=address,undefined -fno-omit-frame-pointer
  -fno-sanitize-recover=all)
if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  list(APPEND ATOLL_SANITIZE_FLAGS -fno-sanitize=function)
endif()
string(REPLACE ";" " " _san "${ATOLL_SANITIZE_FLAGS}")
set(CMAKE_CXX_FLAGS_SANITIZE "-O1 -g ${_san}")
set(CMAKE_EXE_LINKER_FLAGS_SANITIZE "${_san}")
set(CMAKE_SHARED_LINKER_FLAGS_SANITIZE "${_san}")

# Fuzz builds instrument every library for coverage, so libFuzzer sees the
# code under test and not only the target's own file.
if(ATOLL_FUZZ)
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()

set(CMAKE_CXX_FLAGS_RELEASE "-O2 -g1 -DNDEBUG")
set(CMAKE_CXX_FLAGS_DEBUG "-O0 -g")

# atoll_unit_test(name sources... LIBS libs...): a GoogleTest binary run by
# ctest. Every test binary is one ctest entry, so ctest's summary line
# counts binaries and each binary's own output names the failing test.
function(atoll_unit_test name)
  cmake_parse_arguments(arg "" "" "LIBS" ${ARGN})
  add_executable(${name} ${arg_UNPARSED_ARGUMENTS})
  target_link_libraries(${name} PRIVATE ${arg_LIBS} GTest::gtest_main
    GTest::gmock atoll_warnings)
  add_test(NAME ${name} COMMAND ${name} --gtest_brief=1)
  set_tests_properties(${name} PROPERTIES LABELS unit TIMEOUT 120)
endfunction()

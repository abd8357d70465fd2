# Every library comes from Debian's packages (tools/install-deps.sh).
find_package(Threads REQUIRED)
find_package(Boost 1.81 REQUIRED)
find_package(fmt REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(GTest REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(ISAL REQUIRED IMPORTED_TARGET libisal)

# The protocol generator uses only Python's standard library; Debian's
# interpreter is named explicitly so a pyenv python on PATH does not matter.
find_program(ATOLL_PYTHON NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
if(NOT ATOLL_PYTHON)
  find_program(ATOLL_PYTHON python3 REQUIRED)
endif()

# Asio: coroutines and no deprecated interfaces, for every translation unit.
add_library(atoll_asio INTERFACE)
target_link_libraries(atoll_asio INTERFACE Boost::headers Threads::Threads)
target_compile_definitions(atoll_asio INTERFACE BOOST_ASIO_NO_DEPRECATED
  BOOST_ASIO_DISABLE_BOOST_COROUTINE)

# Record batch codecs (model): gzip, snappy, lz4 frames, zstd.
pkg_check_modules(ZLIB REQUIRED IMPORTED_TARGET zlib)
pkg_check_modules(SNAPPY REQUIRED IMPORTED_TARGET snappy)
pkg_check_modules(LZ4 REQUIRED IMPORTED_TARGET liblz4)
pkg_check_modules(ZSTD REQUIRED IMPORTED_TARGET libzstd)

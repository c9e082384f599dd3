# Helpers that keep each folder's CMakeLists.txt to a few declarative lines.
# -Wno-missing-field-initializers: GCC 12 warns on designated initialisers that rely on
# default member initialisers, which the house style uses on purpose.

# pinwatch_library(name SRCS … DEPS …): one static library per top-level folder.
function(pinwatch_library name)
  cmake_parse_arguments(A "" "" "SRCS;DEPS" ${ARGN})
  add_library(${name} STATIC ${A_SRCS})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(${name} PUBLIC ${A_DEPS})
  target_compile_features(${name} PUBLIC cxx_std_20)
  target_compile_options(${name} PRIVATE -Wall -Wextra -Werror -Wno-missing-field-initializers)
endfunction()

# pinwatch_executable(name SRCS … DEPS …): a thin binary over the libraries.
function(pinwatch_executable name)
  cmake_parse_arguments(A "" "" "SRCS;DEPS" ${ARGN})
  add_executable(${name} ${A_SRCS})
  target_link_libraries(${name} PRIVATE ${A_DEPS})
  target_compile_options(${name} PRIVATE -Wall -Wextra -Werror -Wno-missing-field-initializers)
endfunction()

# pinwatch_test(name SRCS … DEPS …): one GoogleTest binary per folder, run by ctest.
# Tests find the shared real-world data through PINWATCH_TESTDATA (default: ../shared/testdata
# beside the checkout) and the project's own binaries through PINWATCH_BIN_DIR.
function(pinwatch_test name)
  cmake_parse_arguments(A "" "" "SRCS;DEPS" ${ARGN})
  add_executable(${name} ${A_SRCS})
  target_link_libraries(${name} PRIVATE ${A_DEPS} GTest::gtest GTest::gtest_main GTest::gmock)
  target_compile_options(${name} PRIVATE -Wall -Wextra -Werror -Wno-missing-field-initializers)
  target_compile_definitions(${name} PRIVATE
    PINWATCH_DEFAULT_TESTDATA="${PROJECT_SOURCE_DIR}/../shared/testdata"
    PINWATCH_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    PINWATCH_BIN_DIR="${PROJECT_BINARY_DIR}")
  add_test(NAME ${name} COMMAND ${name})
endfunction()

# pinwatch_fuzzer(name SRC … DEPS … CORPUS path… [FUZZ_ARGS -flag=value…]): a libFuzzer
# target; CORPUS names seed files and directories, FUZZ_ARGS are libFuzzer flags for its
# timed run. With PINWATCH_FUZZ=ON (clang) it is a real fuzzer, and ctest runs
# it for a bounded time as the test `<name>` (tests/fuzz/run_fuzzer.sh: a fresh writable copy of
# the seeds under <build>/fuzz/<name>/, crashers in <build>/fuzz/<name>/artifacts/); otherwise
# it links a small driver that replays the seeds, and ctest runs that replay as
# `<name>_replay` so every seed stays a regression test.
function(pinwatch_fuzzer name)
  cmake_parse_arguments(A "" "" "SRCS;DEPS;CORPUS;FUZZ_ARGS" ${ARGN})
  add_executable(${name} ${A_SRCS})
  target_link_libraries(${name} PRIVATE ${A_DEPS})
  target_compile_options(${name} PRIVATE -Wall -Wextra -Werror -Wno-missing-field-initializers)
  if(PINWATCH_FUZZ)
    target_compile_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
    add_test(NAME ${name} COMMAND ${PROJECT_SOURCE_DIR}/tests/fuzz/run_fuzzer.sh
      $<TARGET_FILE:${name}> ${PROJECT_BINARY_DIR}/fuzz/${name} ${A_FUZZ_ARGS} ${A_CORPUS})
  else()
    target_sources(${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests/fuzz/replay_main.cc)
    add_test(NAME ${name}_replay COMMAND ${name} ${A_CORPUS})
  endif()
endfunction()

# An unwritten exercise must fail only its own label (docs/exercises.md): configures Glimpse in a
# scratch folder with two exercises named and checks, in the generated archive commands, that each
# exercise's tests link a library holding the learner's file for that exercise and the reference
# for the other one. Configure only (a few seconds): nothing is compiled.
#   cmake -DSOURCE=<repo> -DWORK=<scratch> -P check_one_piece_swapped.cmake
file(REMOVE_RECURSE ${WORK})
execute_process(COMMAND ${CMAKE_COMMAND} -S ${SOURCE} -B ${WORK} -DCMAKE_BUILD_TYPE=Release
                        -DGLIMPSE_BUILD_BENCH=OFF "-DGLIMPSE_EXERCISES=masked_softmax;decoding"
                RESULT_VARIABLE rc OUTPUT_QUIET ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "configuring with GLIMPSE_EXERCISES=masked_softmax;decoding failed:\n${err}")
endif()

function(expect_objects exercise yours reference)
  set(link ${WORK}/tests/CMakeFiles/glimpse_with_${exercise}.dir/link.txt)
  if(NOT EXISTS ${link})
    message(FATAL_ERROR "no library glimpse_with_${exercise} for the ${exercise} tests (${link})")
  endif()
  file(READ ${link} commands)
  if(NOT commands MATCHES "glimpse_yours_${yours}\\.dir/exercises/${yours}\\.cpp\\.o")
    message(FATAL_ERROR "glimpse_with_${exercise} lacks the learner's exercises/${yours}.cpp")
  endif()
  if(commands MATCHES "glimpse_yours_${reference}\\.dir")
    message(FATAL_ERROR "glimpse_with_${exercise} holds the learner's ${reference} too: its failures would leak")
  endif()
  if(NOT commands MATCHES "glimpse_reference_${reference}\\.dir/nn/${reference}\\.cpp\\.o")
    message(FATAL_ERROR "glimpse_with_${exercise} lacks the reference nn/${reference}.cpp")
  endif()
  file(READ ${WORK}/tests/CMakeFiles/glimpse_exercise_${exercise}_tests.dir/link.txt test_link)
  if(NOT test_link MATCHES "libglimpse_with_${exercise}\\.a" OR test_link MATCHES "libglimpse\\.a")
    message(FATAL_ERROR "glimpse_exercise_${exercise}_tests does not link glimpse_with_${exercise} alone:\n${test_link}")
  endif()
endfunction()
expect_objects(masked_softmax masked_softmax decoding)
expect_objects(decoding decoding masked_softmax)
# Exercises not named get no tests in that build.
if(EXISTS ${WORK}/tests/CMakeFiles/glimpse_exercise_lstm_cell_tests.dir)
  message(FATAL_ERROR "lstm_cell was not named, yet it has exercise tests")
endif()
file(REMOVE_RECURSE ${WORK})
message(STATUS "each exercise's tests link only that exercise's file")

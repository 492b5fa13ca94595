// A fuzz target for the checkpoint reader of lesson 05: whatever bytes a file holds, loading it
// either works or throws glimpse::Error — no crash, no hang, no other exception, nothing the
// address and undefined-behaviour sanitizers object to. How to build and run it: README.md,
// "Fuzzing the checkpoint reader".
#include <cstddef>
#include <cstdint>
#include <span>

#include "nn/checkpoint.hpp"
#include "nn/linear.hpp"
#include "nn/state.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace glimpse;
  // The model the seed checkpoint (fuzz/corpus/checkpoint/valid_linear) was saved from, so that
  // inputs near it also reach the name and shape checks of load_state.
  static Generator gen(1);
  static nn::Linear model(3, 2, gen);
  try {
    const auto state = nn::detail::parse_safetensors(std::span(reinterpret_cast<const char*>(data), size),
                                                     "'input'", Loc::current());
    nn::detail::load_state(model, state, /*strict=*/true, "load", "'input'", Loc::current());
  } catch (const Error&) {
    // The expected way to reject a file. Anything else propagates and libFuzzer reports it.
  }
  return 0;
}

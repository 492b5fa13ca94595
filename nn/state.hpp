// A module's state: the values of its named parameters, read out or written back by name.
// Introduced in lesson 03 (a first network), shared by checkpoints (nn/checkpoint.hpp) and by
// tests that set weights to PyTorch's.
#pragma once

#include <map>
#include <string>

#include "nn/module.hpp"

namespace glimpse::nn {

// A copy of every parameter's values, by dotted name (like module.state_dict()). The copies are
// detached: changing them does not change the module.
std::map<std::string, Tensor> state_dict(const Module& module);

// Copies `state[name]` into each parameter of `module` (under NoGradGuard; the parameters stay
// the same tensors, so optimisers holding them keep working).
//
// Everything is checked before any value is written, so on error the module is untouched: every
// parameter must be present with the same shape, and with `strict` (the default) `state` must
// hold nothing else. Errors are glimpse::Errors naming the offending parameter.
void load_state(Module& module, const std::map<std::string, Tensor>& state, bool strict = true,
                Loc caller = Loc::current());

namespace detail {
// The same, with errors reported as `op` and the state described as `source` ("'model.safetensors'").
void load_state(Module& module, const std::map<std::string, Tensor>& state, bool strict, const char* op,
                const std::string& source);
}  // namespace detail

}  // namespace glimpse::nn

// Glimpse: everything a lesson needs, in one include.
#pragma once

#include "autograd/error.hpp"
#include "autograd/format.hpp"
#include "autograd/ops.hpp"
#include "autograd/random.hpp"
#include "autograd/shape.hpp"
#include "autograd/tape.hpp"
#include "autograd/tensor.hpp"

// Lesson 01 — Derivatives and the tape.
//
// A neuron with one input: y = tanh(w·x + b), loss = (y - target)². We compute it forward,
// let the tape remember every op, run backward(), and watch each backward step hand gradients
// down the graph. Then we check every gradient against a finite difference, on screen, and once
// more with the library's checker, glimpse::gradcheck.
#include <fmt/ranges.h>
#include <glimpse.hpp>

#include <cmath>

#include "nn/module.hpp"
#include "support/lesson.hpp"
#include "trace/trace.hpp"

using namespace glimpse;

namespace {

// Three named scalars. A Module is just a holder of named parameters here, so the tracer
// can label them "x", "w" and "b" in the drawings.
struct Neuron : nn::Module {
  Tensor x, w, b;
  Neuron(float x0, float w0, float b0)
      : x(register_parameter("x", full({}, x0))),
        w(register_parameter("w", full({}, w0))),
        b(register_parameter("b", full({}, b0))) {}
  std::string kind() const override { return "Neuron"; }
};

Tensor forward(const Neuron& n, float target) {
  Tensor z = n.w * n.x + n.b;         // mul, then add: two ops on the tape
  Tensor y = tanh(z);                 // tanh
  return pow(y - target, 2.0f);       // sub, pow
}

}  // namespace

int main(int argc, char** argv) {
  return lessons::run_lesson([&] {
    CLI::App app{"Lesson 01: derivatives and the tape. Computes loss = (tanh(w*x + b) - target)^2, runs "
                 "backward() and shows every step of the backward pass."};
    lessons::CommonFlags flags;
    flags.out = "out/01_tape";
    float x0 = 0.5f, w0 = -1.5f, b0 = 0.25f, target = 0.8f;
    lessons::add_common_flags(app, flags);
    lessons::add_number(app, "--x", x0, "input x", -100.0f, 100.0f);
    lessons::add_number(app, "--w", w0, "weight w", -100.0f, 100.0f);
    lessons::add_number(app, "--b", b0, "bias b", -100.0f, 100.0f);
    lessons::add_number(app, "--target", target, "the value y should reach", -10.0f, 10.0f);
    CLI11_PARSE(app, argc, argv);
    lessons::prepare_out_dir(flags.out);

    // 1. Forward: the tape records every op that makes the loss.
    Neuron n(x0, w0, b0);
    trace::Tracer tracer(n, {.graph_values = true});
    Tensor loss = forward(n, target);
    fmt::print("1. Forward:  loss = (tanh(w*x + b) - target)^2 = {:.6f}\n", loss.item());
    fmt::print("The tape holds {} ops; the loss was made by {}.\n\n", tracer.recording().graph.nodes.size() - 3,
               loss.grad_fn_name());

    // 2. Backward: each op hands the gradient down to its inputs, the latest op first.
    loss.backward();
    fmt::print("2. Backward, step by step (the latest op first):\n\n{}\n",
               trace::format_backward(tracer.recording().graph));

    // 3. Check each gradient: nudge one input up and down by h and see how much the loss moves.
    const float h = 1e-3f;
    fmt::print("3. Each gradient against a finite difference (h = {}):\n", h);
    fmt::print("{:<4} {:>14} {:>16} {:>12}\n", "", "backward()", "finite diff.", "difference");
    std::vector<std::string> unresolved;  // gradients the finite difference cannot see in float32
    for (auto& [name, p] : n.named_parameters()) {
      NoGradGuard no_grad;
      const float saved = p.item();
      p.data()[0] = saved + h;
      const float up = forward(n, target).item();
      p.data()[0] = saved - h;
      const float down = forward(n, target).item();
      p.data()[0] = saved;
      const float numeric = (up - down) / (2 * h);
      // Scientific notation: where tanh saturates (try --x 5) the gradients are tiny but not 0.
      fmt::print("{:<4} {:>14.6e} {:>16.6e} {:>12.2e}\n", "d" + name, p.grad().item(), numeric,
                 p.grad().item() - numeric);
      if (numeric == 0 && p.grad().item() != 0) unresolved.push_back("d" + name);
    }
    if (!unresolved.empty()) {
      // up == down: the nudge moved the loss by less than the gap between two floats near it.
      const float l = loss.item(), gap = std::nextafter(l, INFINITY) - l;
      fmt::print("\nThe finite difference of {} is 0: a nudge of h = {} moves the loss by about |grad|·2h, less\n"
                 "than float32 can tell apart near loss = {:.6f} (the next float is {:.1e} away). backward() has\n"
                 "no such limit: it multiplies the local derivatives instead of subtracting two close losses.\n",
                 fmt::join(unresolved, ", "), h, l, gap);
    }

    // The tracer's files: the graph of the forward pass, and the backward pass step by step.
    const auto files = trace::write_trace(tracer.recording(), flags.out, {.title = "Lesson 01: the tape"});

    // 4. The same check as one library call: glimpse::gradcheck nudges every element of every
    //    input (by 1e-2, differences in double) and reports the element furthest from agreeing.
    //    The tests check every op's backward with it.
    std::vector<Tensor> inputs;
    std::vector<std::string> names;
    for (auto& [name, p] : n.named_parameters()) inputs.push_back(p), names.push_back("d" + name);
    const GradcheckReport check = gradcheck([&](const std::vector<Tensor>&) { return forward(n, target); }, inputs);
    if (check.ok && check.input >= 0)
      fmt::print("\n4. glimpse::gradcheck agrees: all {} derivatives are within its tolerance of finite differences\n"
                 "taken in double (step 1e-2); the furthest off is {}, by {:.1e} of its value.\n",
                 check.checked, names[check.input], check.rel_error);
    else
      fmt::print("\n4. glimpse::gradcheck disagrees: {}\n", check.to_string());
    fmt::print("\nWhat to look at: the gradient of w is x times the gradient of z, and the gradient of x\n"
               "is w times it — backward() multiplied local derivatives along the graph (the chain rule).\n");
    lessons::print_files_to_open({{flags.out + "/graph.svg", "the graph: ops, shapes, values and gradients"},
                                  {flags.out + "/backward.txt", "the backward pass, step by step"}});
    return 0;
  });
}

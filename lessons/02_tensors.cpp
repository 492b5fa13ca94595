// Lesson 02 — Tensors: shapes, strides, views, broadcasting and its backward.
//
// A tensor is a flat buffer plus a shape and strides. Views (transpose, slice, select, expand)
// are new shapes and strides over the same buffer. Broadcasting lines shapes up on the right;
// its backward sums the gradient back down to each input's shape.
#include <glimpse.hpp>

#include "support/lesson.hpp"
#include "trace/trace.hpp"

using namespace glimpse;

namespace {

void show(const std::string& what, const Tensor& t) {
  fmt::print("{:<42} shape {:<10} strides {:<10} offset {}  contiguous: {}\n", what, to_string(t.shape()),
             to_string(t.strides()), t.offset(), t.is_contiguous() ? "yes" : "no");
}

}  // namespace

int main(int argc, char** argv) {
  return lessons::run_lesson([&] {
    CLI::App app{"Lesson 02: tensors. Shapes, strides and views over one buffer; broadcasting and its "
                 "backward; what a shape error says."};
    lessons::CommonFlags flags;
    flags.out = "out/02_tensors";
    int64_t rows = 3, cols = 4;
    lessons::add_common_flags(app, flags);
    // At least 2 of each: part 1 shows row 1 and column 1 of the matrix.
    lessons::add_number(app, "--rows", rows, "rows of the example matrix", 2, 64);
    lessons::add_number(app, "--cols", cols, "columns of the example matrix", 2, 64);
    CLI11_PARSE(app, argc, argv);
    lessons::prepare_out_dir(flags.out);
    manual_seed(flags.seed);

    fmt::print("1. One buffer, many views\n\n");
    Tensor m = arange(rows * cols).reshape({rows, cols});
    fmt::print("{}\n\n", m);
    show("m", m);
    show("m.t()  (transpose)", m.t());
    show("m.select(0, 1)  (row 1)", m.select(0, 1));
    show("m.select(1, 1)  (column 1)", m.select(1, 1));
    show("m.slice(1, 0, cols, 2)  (every 2nd col)", m.slice(1, 0, cols, 2));
    show("m.unsqueeze(0)", m.unsqueeze(0));
    show("m.select(0, 0).expand({rows, cols})", m.select(0, 0).expand({rows, cols}));
    fmt::print("\nAll of these read the same {} floats: element (i, j) sits at offset + i*stride0 + j*stride1.\n"
               "A transpose swaps the strides; an expand uses stride 0, so one row is read {} times.\n\n",
               m.numel(), rows);

    fmt::print("2. Broadcasting and its backward\n\n");
    Tensor column = randn({rows, 1}).requires_grad_();  // one value per row
    Tensor row = randn({cols}).requires_grad_();        // one value per column
    trace::Tracer tracer({.graph_values = true});
    Tensor grid = column * row;                          // [rows, 1] * [cols] → [rows, cols]
    Tensor loss = grid.sum();
    loss.backward();
    fmt::print("column {} * row {} → grid {}\n", to_string(column.shape()), to_string(row.shape()),
               to_string(grid.shape()));
    fmt::print("column.grad() = {}\n", column.grad());
    fmt::print("row.grad()    = {}\n", row.grad());
    fmt::print("\nEach column value was used {} times (once per column of the grid), so its gradient is the\n"
               "sum of the {} row values: sum_to_shape() added the broadcast copies back together.\n\n",
               cols, cols);

    fmt::print("3. What a shape error says\n\n");
    try {
      Tensor bad = matmul(m, m);  // [rows, cols] · [rows, cols]: inner sizes differ unless square
      fmt::print("(m is square, so m·m works: {}; try --rows 3 --cols 4)\n", to_string(bad.shape()));
    } catch (const Error& e) {
      fmt::print("matmul(m, m) threw glimpse::Error:\n  {}\n", e.what());
    }
    try {
      Tensor bad = m + randn({rows + 1, cols});
      (void)bad;
    } catch (const Error& e) {
      fmt::print("m + randn({{rows + 1, cols}}) threw glimpse::Error:\n  {}\n", e.what());
    }
    fmt::print("\nThe message names the op, the shapes, and the line of *your* code that called it.\n");

    const auto files = trace::write_trace(tracer.recording(), flags.out, {.title = "Lesson 02: broadcasting"});
    (void)files;
    lessons::print_files_to_open({{flags.out + "/graph.svg", "the broadcast multiply and its gradients"},
                                  {flags.out + "/backward.txt", "sum's backward expands; mul's backward sums back"}});
    return 0;
  });
}

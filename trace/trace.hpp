// Everything the tracer offers, in one include. Introduced in lesson 01.
#pragma once

#include "trace/attention_dot.hpp"
#include "trace/attention_map.hpp"
#include "trace/backward_log.hpp"
#include "trace/graph_dot.hpp"
#include "trace/hidden_dot.hpp"
#include "trace/output_folder.hpp"
#include "trace/plot.hpp"
#include "trace/recording.hpp"
#include "trace/render.hpp"
#include "trace/text_table.hpp"
#include "trace/tracer.hpp"
#include "trace/tsv.hpp"
#include "trace/write_trace.hpp"

// Glimpse's viewer: draws the page from the JSON the library put in <script id="glimpse-data">
// (trace/viewer.cpp). Plain JavaScript, no library, nothing loaded from the network: the page
// works from the file system, offline. Sections: notes, attention, steps, graph, backward pass,
// pictures, files; then a self-check a test reads back.
'use strict';
(function() {
const errors = [];
window.addEventListener('error', (e) => errors.push(String(e.message)));
const data = JSON.parse(document.getElementById('glimpse-data').textContent);
const root = document.getElementById('viewer');

// el('div', {class: 'x'}, child, 'text', ...): a new element.
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k.startsWith('on'))
      e.addEventListener(k.slice(2), v);
    else
      e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}
const svgNS = 'http://www.w3.org/2000/svg';
function svgEl(tag, attrs) {
  const e = document.createElementNS(svgNS, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  return e;
}
function section(id, title, ...children) {
  const s = el('section', {id: id}, el('h2', {}, title), ...children);
  root.append(s);
  return s;
}
function slider(count, onChange, label) {
  const value = el('span', {class: 'slider-value'});
  const input = el('input', {type: 'range', min: 0, max: Math.max(count - 1, 0), value: 0});
  const show = () => {
    value.textContent = label(Number(input.value));
    onChange(Number(input.value));
  };
  input.addEventListener('input', show);
  const step = (d) => {
    input.value = Math.min(count - 1, Math.max(0, Number(input.value) + d));
    show();
  };
  const box =
      el('div', {class: 'slider'}, el('button', {onclick: () => step(-1)}, '◀'), input,
         el('button', {onclick: () => step(1)}, '▶'), value);
  box.show = show;
  return box;
}
// The first numbers of a recorded value, and a strip of coloured cells for all that were kept.
function valuesView(v) {
  if (!v || v.data.length === 0) return el('span', {class: 'muted'}, '(not recorded)');
  const shown = v.data.slice(0, 12).map((x) => x.toFixed(4)).join(' ');
  const more = v.data.length > 12 ? ` … (${v.data.length} kept)` : '';
  const cut = v.truncated ? ' — cut: the recording kept only the first values' : '';
  const bad = v.finite ? '' : ' — has NaN or inf (diverged)';
  const peak = Math.max(1e-12, ...v.data.map(Math.abs));
  const strip = el('div', {class: 'strip'});
  for (const x of v.data.slice(0, 128)) {
    const a = Math.min(1, Math.abs(x) / peak);
    strip.append(el('span', {
      style: `background: ${x >= 0 ? `rgba(213,94,0,${a})` : `rgba(0,114,178,${a})`}`,
      title: x.toFixed(5)
    }));
  }
  return el('div', {}, el('code', {}, `[${v.shape.join(', ')}] ${shown}${more}${cut}${bad}`), strip);
}
// An SVG file's text with its ids made unique in the page (pictures from one program reuse ids).
let svgCount = 0;
function uniqueIds(svg) {
  const p = `f${svgCount++}-`;
  return svg.replace(/id="([^"]+)"/g, `id="${p}$1"`)
      .replace(/url\(#([^)]+)\)/g, `url(#${p}$1)`)
      .replace(/href="#([^"]+)"/g, `href="#${p}$1"`);
}
function picture(svgText) {
  const box = el('div', {class: 'picture'});
  box.innerHTML = uniqueIds(svgText);
  return box;
}

// ---- notes: what the page left out ----
if (data.notes.length)
  section('notes', 'What this page leaves out', el('ul', {}, ...data.notes.map((n) => el('li', {}, n))));

// ---- live mode (a lesson run with --serve): type a sentence or a prompt, see the model's answer
// and its attention. The lesson says which controls it takes (live.controls); each becomes one
// field of the request: text as typed, a number, one of a few choices, or a list (split at
// spaces; numbers stay numbers).
if (data.live) {
  const live = data.live;
  const fields = live.controls.map((c) => {
    let input;
    if (c.kind === 'number')
      input = el('input', {type: 'number', min: c.min, max: c.max, step: c.step || 1, value: c.value});
    else if (c.kind === 'choice')
      input = el('select', {}, ...c.options.map((o) => el('option', {value: o}, o)));
    else
      input = el('input', {type: 'text', size: c.size || 12, value: c.value === undefined ? '' : c.value,
                           placeholder: c.placeholder || ''});
    const value = () => {
      if (c.kind === 'number') return Number(input.value);
      if (c.kind === 'list')
        return input.value.trim() ? input.value.trim().split(/\s+/).map((w) => (/^-?\d+$/.test(w) ? Number(w) : w)) :
                                    [];
      return input.value;
    };
    return {control: c, input: input, value: value};
  });
  // What a browser test of the served page reads back once the first answer is drawn.
  const liveResult = (what) => document.getElementById('self-check').setAttribute('data-live', what);
  const answer = el('div', {class: 'live-answer'});
  const headView = el('div', {class: 'head-view'}), heatmap = el('div', {class: 'heatmap'});
  const run = async () => {
    const request = {};
    for (const f of fields) request[f.control.name] = f.value();
    try {
      const r = await fetch(
          'api/run',
          {method: 'POST', headers: {'Content-Type': 'application/json'}, body: JSON.stringify(request)});
      const reply = await r.json();
      if (!r.ok) throw new Error(reply.error || `HTTP ${r.status}`);
      answer.replaceChildren(
          el('p', {}, `${live.output_label}: `, el('b', {class: 'live-output'}, reply.output)),
          ...reply.notes.map((n) => el('p', {class: 'muted'}, n)));
      drawHeadView(headView, reply.map);
      drawHeatmap(heatmap, reply.map);
      const drawn = document.querySelectorAll('#live table.heat td').length > 0;
      liveResult(drawn ? 'answered' : 'answered, but no heatmap drawn');
    } catch (e) {
      answer.replaceChildren(el('p', {class: 'error'}, String(e.message || e)));
      liveResult(`error: ${e.message || e}`);
      headView.replaceChildren();
      heatmap.replaceChildren();
    }
  };
  for (const f of fields)
    f.input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') run();
    });
  const form = el('div', {class: 'live-form'});
  for (const f of fields) form.append(el('label', {}, ` ${f.control.label} `, f.input));
  form.append(' ', el('button', {onclick: run}, live.button));
  section('live', live.title, el('p', {class: 'muted'}, live.hint), form, answer,
          el('div', {class: 'attention-views'}, headView, heatmap));
  run();
}

// ---- the recording ----
const sequences = data.sequences || [];
if (sequences.length) {
  let sequence = sequences[0];
  const pick =
      el('select', {},
         ...sequences.map(
             (s, i) =>
                 el('option', {value: i},
                    `sequence ${s.index}: ` +
                        `${s.source.join(' ')}${s.target.length ? ' → ' + s.target.join(' ') : ''}`.slice(
                            0, 120))));
  const seen = data.sequences_seen > sequences.length ?
      ` (the last ${sequences.length} of the ${data.sequences_seen} it saw)` :
      '';
  section(
      'sequence', `The recording: ${sequences.length} sequence${sequences.length > 1 ? 's' : ''}${seen}`,
      el('label', {}, 'sequence ', pick));
  const attention = section('attention', 'Attention');
  const steps = section('steps', 'Step by step');
  pick.addEventListener('change', () => {
    sequence = sequences[Number(pick.value)];
    drawSequence();
  });
  function drawSequence() {
    drawAttention(attention, sequence);
    drawSteps(steps, sequence);
  }
  drawSequence();
}

function drawAttention(box, s) {
  box.replaceChildren(box.firstChild);
  if (!s.maps.length) {
    box.append(el('p', {class: 'muted'}, 'No attention was recorded in this sequence.'));
    return;
  }
  const names =
      s.maps.map((m) => `${m.module || '(model)'} (${m.kind})${m.head >= 0 ? ', head ' + m.head : ''}`);
  const pick = el('select', {}, ...names.map((n, i) => el('option', {value: i}, n)));
  const headView = el('div', {class: 'head-view'});
  const heatmap = el('div', {class: 'heatmap'});
  box.append(
      el('label', {}, 'module / layer / head ', pick),
      el('p', {class: 'muted'},
         'Lines join each row token (right) to the column tokens (left) it ' +
             'attends to, darker for more weight. Hover a token to see only its lines.'),
      el('div', {class: 'attention-views'}, headView, heatmap));
  const draw = () => {
    const m = s.maps[Number(pick.value)];
    drawHeadView(headView, m);
    drawHeatmap(heatmap, m);
  };
  pick.addEventListener('change', draw);
  draw();
}

// Head view (as BertViz draws it): columns (keys) on the left, rows (queries) on the right.
function drawHeadView(box, m) {
  const rowH = 20, width = 420, left = 130, right = width - 130;
  const n = Math.max(m.rows.length, m.columns.length);
  const svg = svgEl('svg', {width: width, height: n * rowH + 10, class: 'head-lines'});
  const lines = [];
  m.weights.forEach((row, t) => row.forEach((w, j) => {
    if (w < 0.01) return;
    const line = svgEl('line', {
      x1: left + 4,
      y1: j * rowH + 15,
      x2: right - 4,
      y2: t * rowH + 15,
      'stroke-opacity': w,
      'stroke-width': 1 + 3 * w,
      'data-row': t,
      'data-column': j
    });
    lines.push(line);
    svg.append(line);
  }));
  const token = (text, x, y, anchor, key, index) => {
    const label = svgEl('text', {x: x, y: y, 'text-anchor': anchor, class: 'token'});
    label.textContent = text;
    label.addEventListener('mouseenter', () => lines.forEach((l) => {
      l.style.display = l.getAttribute(key) === String(index) ? '' : 'none';
    }));
    label.addEventListener('mouseleave', () => lines.forEach((l) => {
      l.style.display = '';
    }));
    svg.append(label);
  };
  m.columns.forEach((c, j) => token(c, left, j * rowH + 19, 'end', 'data-column', j));
  m.rows.forEach((r, t) => token(r, right, t * rowH + 19, 'start', 'data-row', t));
  box.replaceChildren(svg);
}

function drawHeatmap(box, m) {
  const table = el('table', {class: 'heat'});
  table.append(
      el('tr', {}, el('th', {class: 'corner'}, '↓ row  column →'), ...m.columns.map((c) => el('th', {}, c))));
  m.weights.forEach((row, t) => {
    const tr = el('tr', {}, el('th', {}, m.rows[t]));
    for (const w of row)
      tr.append(
          el('td', {style: `background: rgba(31,78,140,${w}); color: ${w > 0.5 ? 'white' : 'black'}`},
             w.toFixed(2)));
    table.append(tr);
  });
  box.replaceChildren(table);
}

// One decoding step at a time: every module's values at that step (hidden state, gates,
// attention, context, ...) and the top predictions.
function drawSteps(box, s) {
  box.replaceChildren(box.firstChild);
  const groups = [], byKey = new Map();
  for (const e of s.steps) {
    const key = `${e.target_side ? 'target' : 'source'} ${e.step}`;
    if (!byKey.has(key)) {
      byKey.set(key, groups.length);
      groups.push({key: key, entries: []});
    }
    groups[byKey.get(key)].entries.push(e);
  }
  if (!groups.length) {
    box.append(el('p', {class: 'muted'}, 'No steps were recorded.'));
    return;
  }
  const view = el('div', {class: 'step-view'});
  const show = (g) => {
    view.replaceChildren(...groups[g].entries.map((e) => {
      const rows =
          e.values.map((v) => el('tr', {}, el('th', {}, v.name), el('td', {}, valuesView(v.values))));
      const predictions = e.predictions.length ?
          el('p', {}, 'top predictions: ',
             e.predictions.map((p) => `${p.token} ${(100 * p.probability).toFixed(1)}%`).join(', ')) :
          '';
      return el(
          'div', {class: 'entry'},
          el('h3', {}, `${e.module || '(model)'} (${e.kind})${e.token ? ' reading “' + e.token + '”' : ''}`),
          el('table', {class: 'values'}, ...rows), predictions);
    }));
  };
  const bar = slider(groups.length, show, (g) => `${groups[g].key}  (${g + 1} of ${groups.length})`);
  box.append(
      el('p', {class: 'muted'},
         'Move the slider through the steps: source steps are the encoder ' +
             'reading, target steps the decoder writing.'),
      bar, view);
  bar.show();
}

// ---- the computation graph, a node's value and gradient on click, and the backward pass ----
const graph = data.graph;
if (graph && graph.nodes.length) {
  const details =
      el('div', {class: 'node-details'},
         el('p', {class: 'muted'},
            'Click a node to see its value ' +
                'and the gradient that reached it.'));
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const svgNodes = new Map();
  const describe = (n) => `n${n.id} ${n.op || 'leaf'}${n.name ? ' ' + n.name : ''} [${n.shape.join(', ')}]`;
  const select = (id) => {
    const n = byId.get(id);
    if (!n) return;
    for (const g of svgNodes.values()) g.classList.remove('selected');
    if (svgNodes.has(id)) svgNodes.get(id).classList.add('selected');
    details.replaceChildren(
        el('h3', {}, describe(n)),
        el('p', {},
           n.inputs.length ? 'inputs: ' + n.inputs.map((i) => 'n' + i).join(', ') : 'a leaf: no inputs'),
        el('table', {class: 'values'}, el('tr', {}, el('th', {}, 'value'), el('td', {}, valuesView(n.value))),
           el('tr', {}, el('th', {}, 'gradient'), el('td', {}, valuesView(n.grad)))));
  };
  const list =
      el('select', {size: 8, class: 'node-list'},
         ...graph.nodes.map((n) => el('option', {value: n.id}, describe(n))));
  list.addEventListener('change', () => select(Number(list.value)));
  const drawing = el('div', {class: 'graph-drawing'});
  if (data.graph_svg) {
    drawing.append(picture(data.graph_svg));
    for (const g of drawing.querySelectorAll('g.node')) {
      const title = g.querySelector('title');
      const id = title ? Number(title.textContent.replace(/^n/, '')) : NaN;
      if (!byId.has(id)) continue;
      svgNodes.set(id, g);
      g.classList.add('clickable');
      g.addEventListener('click', () => select(id));
    }
  } else {
    drawing.append(
        el('p', {class: 'muted'},
           'No drawing of the graph (built without Graphviz, or too big): ' +
               'pick a node from the list.'));
  }
  section(
      'graph', `The computation graph: ${graph.nodes.length} tensors`,
      el('div', {class: 'graph-views'}, drawing, el('div', {}, list, details)));

  if (graph.backward.length) {
    const view = el('div', {class: 'backward-view'});
    const show = (k) => {
      const b = graph.backward[k];
      select(b.node);
      view.replaceChildren(
          el('h3', {}, `${b.op}'s backward (node n${b.node})`),
          el('table', {class: 'values'},
             el('tr', {}, el('th', {}, 'gradient in'), el('td', {}, valuesView(b.grad_output))),
             ...b.inputs.map(
                 (i) => el('tr', {}, el('th', {}, `to n${i.node}`), el('td', {}, valuesView(i.grad))))));
    };
    const bar = slider(graph.backward.length, show, (k) => `step ${k + 1} of ${graph.backward.length}`);
    section(
        'backward', 'The backward pass, node by node',
        el('p', {class: 'muted'},
           'Each step is one op\'s backward: the gradient it received and what it ' +
               'handed to each input. The node is highlighted in the graph above.'),
        bar, view);
    bar.show();
  }
}

// ---- the pictures, a numbered series as a slider ----
const svgs = data.files.filter((f) => f.name.endsWith('.svg'));
const series = new Map();
for (const f of svgs) {
  const m = f.name.match(/^(.*?)(\d+)\.svg$/);
  const key = m ? m[1] : f.name;
  if (!series.has(key)) series.set(key, []);
  series.get(key).push(f);
}
if (svgs.length) {
  const box = section('pictures', 'Pictures');
  for (const [key, files] of series) {
    const view = el('div', {});
    const show = (i) => {
      const f = files[i];
      view.replaceChildren(
          el('p', {}, el('a', {href: f.name}, f.name), ' — ', f.description),
          f.svg ? picture(f.svg) :
                  el('p', {class: 'muted'},
                     f.too_big ? `Too big to show inside this page (more than ${
                                     data.limits.max_svg_bytes} bytes): open the file.` :
                                 'Not shown: open the file.'));
    };
    if (files.length > 1) {
      const bar = slider(files.length, show, (i) => files[i].name);
      box.append(el('div', {class: 'series'}, el('h3', {}, `${key}… (${files.length} pictures)`), bar, view));
      bar.show();
    } else {
      box.append(el('div', {class: 'series'}, view));
      show(0);
    }
  }
}
if (data.files.length)
  section(
      'files', 'Every file',
      el('table', {class: 'files'},
         ...data.files.map(
             (f) =>
                 el('tr', {}, el('td', {}, el('a', {href: f.name}, f.name)), el('td', {}, f.description)))));

// ---- self-check: what a test reads back (chromium --dump-dom) ----
const expect = [];
const count = (selector) => document.querySelectorAll(selector).length;
if (svgs.some((f) => f.svg)) expect.push(['pictures drawn', count('#pictures .picture svg') > 0]);
const withMaps = sequences.filter((s) => s.maps.length).length;
if (withMaps) {
  expect.push(['heatmap cells', count('#attention table.heat td') > 0]);
  expect.push(['head-view lines', count('#attention svg.head-lines line') > 0]);
}
if (sequences.some((s) => s.steps.length)) expect.push(['steps shown', count('#steps .entry') > 0]);
if (graph && graph.nodes.length)
  expect.push(['graph nodes listed', count('#graph option') === graph.nodes.length]);
if (data.graph_svg) expect.push(['graph nodes clickable', count('#graph g.clickable') > 0]);
if (graph && graph.backward.length)
  expect.push(['backward step shown', count('#backward .backward-view h3') === 1]);
expect.push(['no script error', errors.length === 0]);
const failed = expect.filter(([, ok]) => !ok).map(([what]) => what);
const check = document.getElementById('self-check');
check.setAttribute(
    'data-result',
    failed.length ? 'failed: ' + failed.join(', ') + (errors.length ? ' (' + errors.join('; ') + ')' : '') :
                    'ok');
check.textContent = `self-check: ${check.getAttribute('data-result')} (${expect.length} checks)`;
})();

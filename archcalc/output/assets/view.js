// archcalc view: the network drawn with its figures on it. Reads the page data (the JSON block
// #view-data), lays each model out top to bottom with dagre (inlined before this script), draws SVG,
// and keeps the fold state of the blocks (dotted-name prefixes) per model. No request leaves the page.
(function () {
  "use strict";
  var DATA = JSON.parse(document.getElementById("view-data").textContent);
  var FIGURE = {macs: "macs", params: "params", activation: "activation_bytes", time: "time_ms", rf: "rf"};
  var UNIT = {macs: "MACs per layer", params: "parameters per layer", activation: "activation memory per layer",
              time: "measured time per layer", rf: "receptive field (pixels, largest side)"};
  var LINEAR = {rf: true};
  // A sequential map, light to dark (ColorBrewer YlOrRd): light = cheap, dark = costly.
  var STOPS = ["#ffffcc", "#ffeda0", "#fed976", "#feb24c", "#fd8d3c", "#fc4e2a", "#e31a1c", "#bd0026", "#800026"];
  var ZERO = "#e4e4e4";
  var SUMMED = ["params", "macs", "flops", "other_ops", "activation_bytes", "time_ms"];
  var NODE_H = 38;
  var color = DATA.color || "macs";
  var models = [];
  var scale = null;
  var selected = null;  // {m: model index, id: node id}

  function esc(s) {
    return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
  }
  function num(v) {  // a raw figure as a number; a symbolic size (a string) is NaN
    if (typeof v === "number") return v;
    if (typeof v === "string" && /^-?\d+(\.\d+)?$/.test(v)) return Number(v);
    return NaN;
  }
  function rfNum(rf) { return rf === "global" ? Infinity : (rf ? Math.max.apply(null, String(rf).split("x").map(Number)) : NaN); }
  function whole(v) {
    var n = num(v);
    if (v === null || v === undefined || v === "") return "-";
    if (isNaN(n)) return String(v);
    return Number.isInteger(n) ? n.toLocaleString("en-US") : n.toLocaleString("en-US", {maximumFractionDigits: 3});
  }
  function short(v) {
    var n = num(v);
    if (isNaN(n)) return v === null || v === undefined ? "-" : String(v);
    var units = [[1e12, "T"], [1e9, "G"], [1e6, "M"], [1e3, "K"]];
    for (var i = 0; i < units.length; i++) if (Math.abs(n) >= units[i][0]) return (n / units[i][0]).toFixed(2) + units[i][1];
    return Number.isInteger(n) ? String(n) : n.toFixed(3);
  }
  function mb(v) { var n = num(v); return isNaN(n) ? String(v) : (n / 1e6).toFixed(2) + " MB"; }

  // ---- the model: layers, blocks (every proper dotted prefix), fold state
  function Model(data, index) {
    this.data = data; this.index = index; this.layers = new Map(); this.blocks = new Map(); this.folded = new Set();
    var self = this;
    data.layers.forEach(function (layer, order) {
      self.layers.set(layer.name, layer);
      var parts = layer.name.split(".");
      for (var k = 1; k < parts.length; k++) {
        var name = parts.slice(0, k).join("."), block = self.blocks.get(name);
        if (!block) {
          block = {name: name, parts: k, layers: [], children: new Set(), first: order};
          self.blocks.set(name, block);
          if (k > 1) self.blocks.get(parts.slice(0, k - 1).join(".")).children.add(name);
        }
        block.layers.push(layer);
      }
    });
    this.blocks.forEach(function (b) { b.figures = blockFigures(b); });
    var depth = "depth" in data ? data.depth : DATA.depth;  // a model's own fold depth, else the page's
    if (depth !== null && depth !== undefined && depth > 0) {
      this.blocks.forEach(function (b) { if (b.parts === depth) self.folded.add(b.name); });
    }
  }
  function blockFigures(block) {
    var f = {name: block.name, kind: "block", layers: block.layers.length};
    SUMMED.forEach(function (key) {
      var total = 0, symbolic = false, any = false;
      block.layers.forEach(function (l) {
        var v = l[key];
        if (v === null || v === undefined) return;
        any = true;
        if (isNaN(num(v))) symbolic = true; else total += num(v);
      });
      f[key] = !any ? null : (symbolic ? "symbolic" : total);
    });
    var last = block.layers[block.layers.length - 1];
    f.output = last.output; f.rf = last.rf;
    return f;
  }
  Model.prototype.rep = function (name) {  // the node id that shows layer `name` now
    var parts = name.split(".");
    for (var k = 1; k < parts.length; k++) {
      var p = parts.slice(0, k).join(".");
      if (this.folded.has(p)) return "B:" + p;
    }
    return "L:" + name;
  };
  Model.prototype.unfold = function (name) {
    var self = this;
    this.folded.delete(name);
    this.blocks.get(name).children.forEach(function (c) { self.folded.add(c); });
  };
  Model.prototype.fold = function (name) {
    var self = this;
    this.folded.add(name);
    Array.from(this.folded).forEach(function (f) { if (f.indexOf(name + ".") === 0) self.folded.delete(f); });
  };
  Model.prototype.reveal = function (name) {  // unfolds every folded block around `name`, outermost first
    var parts = name.split(".");
    for (var k = 1; k < parts.length; k++) {
      var p = parts.slice(0, k).join(".");
      if (this.folded.has(p)) this.unfold(p);
    }
  };
  Model.prototype.figures = function (id) {
    return id.charAt(0) === "B" ? this.blocks.get(id.slice(2)).figures : this.layers.get(id.slice(2));
  };

  // ---- the colour scale, one for all models: over the layers and the blocks folded at the start
  function value(f) {
    var v = f[FIGURE[color]];
    return color === "rf" ? rfNum(v) : num(v);
  }
  function makeScale() {
    var lo = Infinity, hi = -Infinity, finite = [];
    models.forEach(function (m) {
      var seen = m.data.layers.slice();
      m.folded.forEach(function (b) { seen.push(m.blocks.get(b).figures); });
      seen.forEach(function (f) {
        var v = value(f);
        if (isFinite(v) && v > 0) { lo = Math.min(lo, v); hi = Math.max(hi, v); finite.push(v); }
      });
    });
    if (!finite.length) { lo = 1; hi = 1; }
    return {lo: lo, hi: hi, log: !LINEAR[color], empty: !finite.length};
  }
  function position(v) {  // 0..1 on the scale
    if (v === Infinity) return 1;
    if (scale.hi <= scale.lo) return 1;
    var t = scale.log ? Math.log(v / scale.lo) / Math.log(scale.hi / scale.lo) : (v - scale.lo) / (scale.hi - scale.lo);
    return Math.max(0, Math.min(1, t));
  }
  function fill(f) {
    var v = value(f);
    if (!(v > 0)) return [ZERO, "#333"];
    var t = position(v) * (STOPS.length - 1), i = Math.min(Math.floor(t), STOPS.length - 2);
    return [mix(STOPS[i], STOPS[i + 1], t - i), t > 4.6 ? "#fff" : "#222"];
  }
  function mix(a, b, t) {
    var out = "#";
    for (var i = 1; i < 7; i += 2) {
      var x = Math.round(parseInt(a.substr(i, 2), 16) * (1 - t) + parseInt(b.substr(i, 2), 16) * t);
      out += (x < 16 ? "0" : "") + x.toString(16);
    }
    return out;
  }

  // ---- layout and drawing
  function label(f, id) {
    var name = f.name, kind = f.kind, line2;
    if (id.charAt(0) === "B") name = f.name + " (" + f.layers + " layers)";
    line2 = (id.charAt(0) === "B" ? "block" : kind) + (f.output ? " \u00b7 " + f.output : "");
    // monospace text: about 6.7 px a character at 11 px (the name), 6.1 px at 10 px (kind and shape)
    var width = Math.min(300, Math.max(96, 16 + Math.max(6.7 * name.length, 6.1 * line2.length)));
    var room = Math.floor((width - 15) / 6.7), room2 = Math.floor((width - 15) / 6.1);
    if (name.length > room) name = "\u2026" + name.slice(name.length - room + 1);
    if (line2.length > room2) line2 = line2.slice(0, room2 - 1) + "\u2026";
    return {name: name, line2: line2, width: width};
  }
  function visible(m) {  // the nodes shown now, in the order of their first layer, and the edges between them
    var nodes = new Map(), inputs = new Map();
    function add(id, lab) { if (!nodes.has(id)) { nodes.set(id, lab); inputs.set(id, []); } }
    m.data.layers.forEach(function (layer) {
      layer.inputs.forEach(function (src) {
        if (!m.layers.has(src)) add("I:" + src, {name: src, line2: src === "input" ? m.data.input : "input", width: 110});
      });
      var id = m.rep(layer.name);
      if (!nodes.has(id)) add(id, label(m.figures(id), id));
      layer.inputs.forEach(function (src) {
        var from = m.layers.has(src) ? m.rep(src) : "I:" + src, list = inputs.get(id);
        if (from !== id && list.indexOf(from) < 0) list.push(from);
      });
    });
    return {nodes: nodes, inputs: inputs};
  }
  // DenseNet's concatenations take every earlier output of the block: hundreds of edges over hundreds of ranks,
  // which dagre turns into a quadratic number of dummy nodes (minutes). At a merge of 3 or more inputs, an
  // input that also reaches another input of the merge is laid out as an arc beside the graph, not routed.
  function arcsOf(v) {
    var ids = Array.from(v.nodes.keys()), index = new Map(), words = Math.ceil(ids.length / 32), anc = [], arcs = new Set();
    ids.forEach(function (id, i) { index.set(id, i); });
    ids.forEach(function (id, i) {
      var bits = new Uint32Array(words), list = v.inputs.get(id);
      list.forEach(function (src) {
        var j = index.get(src);
        if (j >= i) return;  // a later node (a cycle between folded blocks): kept, not followed
        bits[j >> 5] |= 1 << (j & 31);
        for (var w = 0; w < words; w++) bits[w] |= anc[j][w];
      });
      anc.push(bits);
      if (list.length < 3) return;
      list.forEach(function (u) {
        var j = index.get(u);
        var through = list.some(function (o) { var k = index.get(o); return o !== u && k < i && (anc[k][j >> 5] >>> (j & 31)) & 1; });
        if (through) arcs.add(u + "\u0000" + id);
      });
    });
    return arcs;
  }
  function layout(m) {
    var g = new dagre.graphlib.Graph(), v = visible(m), arcs = arcsOf(v), skipped = [];
    g.setGraph({rankdir: "TB", nodesep: 14, ranksep: 22, edgesep: 6, marginx: 12, marginy: 12});
    g.setDefaultEdgeLabel(function () { return {}; });
    v.nodes.forEach(function (lab, id) { g.setNode(id, {width: lab.width, height: id.charAt(0) === "I" ? 30 : NODE_H}); });
    v.inputs.forEach(function (list, id) {
      list.forEach(function (src) {
        if (arcs.has(src + "\u0000" + id)) skipped.push([src, id]); else g.setEdge(src, id);
      });
    });
    dagre.layout(g);
    return {g: g, nodes: v.nodes, arcs: skipped};
  }
  function arcPath(a, b) {  // from the right side of a down to the right side of b, bulging right with the span
    var x1 = a.x + a.width / 2, y1 = a.y, x2 = b.x + b.width / 2, y2 = b.y, bulge = Math.min(220, 24 + 0.12 * Math.abs(y2 - y1));
    var x = Math.max(x1, x2) + bulge;
    return {d: "M" + x1.toFixed(1) + "," + y1.toFixed(1) + "C" + x.toFixed(1) + "," + y1.toFixed(1) + " " + x.toFixed(1) + "," +
            y2.toFixed(1) + " " + x2.toFixed(1) + "," + y2.toFixed(1), right: x};
  }
  function edgePath(points) {
    var d = "M" + points[0].x.toFixed(1) + "," + points[0].y.toFixed(1);
    for (var i = 1; i < points.length; i++) d += "L" + points[i].x.toFixed(1) + "," + points[i].y.toFixed(1);
    return d;
  }
  function draw(m) {
    var laid = layout(m), g = laid.g, parts = [], right = 0;
    // the drawing's own extent: dagre's graph().width can exceed it by hundreds of pixels (GoogLeNet: 1515 for 815)
    var bottom = 0;
    g.edges().forEach(function (e) {
      var points = g.edge(e).points;
      points.forEach(function (p) { right = Math.max(right, p.x); bottom = Math.max(bottom, p.y); });
      parts.push('<path class="edge" d="' + edgePath(points) + '"/>');
    });
    laid.arcs.forEach(function (pair) {
      var arc = arcPath(g.node(pair[0]), g.node(pair[1]));
      right = Math.max(right, arc.right);
      parts.push('<path class="edge arc" d="' + arc.d + '"/>');
    });
    laid.nodes.forEach(function (lab, id) {
      var n = g.node(id), x = n.x - n.width / 2, y = n.y - n.height / 2, kind = id.charAt(0);
      right = Math.max(right, n.x + n.width / 2); bottom = Math.max(bottom, n.y + n.height / 2);
      if (kind === "I") {
        parts.push('<g class="io" transform="translate(' + x + "," + y + ')"><rect width="' + n.width + '" height="30" rx="15"/>' +
                   '<text x="' + n.width / 2 + '" y="13" text-anchor="middle" class="n">' + esc(lab.name) + '</text>' +
                   '<text x="' + n.width / 2 + '" y="25" text-anchor="middle" class="k">' + esc(lab.line2) + "</text></g>");
        return;
      }
      var f = m.figures(id), c = fill(f), block = kind === "B";
      parts.push('<g class="node' + (block ? " block" : "") + '" tabindex="0" role="button" data-name="' + esc(f.name) + '" data-kind="' +
                 esc(block ? "block" : f.kind) + '" data-id="' + esc(id) + '" transform="translate(' + x.toFixed(1) + "," +
                 y.toFixed(1) + ')"><title>' + esc(f.name) + "</title>" +
                 '<rect width="' + n.width + '" height="' + NODE_H + '" rx="4" style="fill:' + c[0] + '"/>' +
                 (block ? '<rect class="inner" x="3" y="3" width="' + (n.width - 6) + '" height="' + (NODE_H - 6) + '" rx="2"/>' : "") +
                 '<text x="7" y="16" class="n" style="fill:' + c[1] + '">' + esc(lab.name) + "</text>" +
                 '<text x="7" y="30" class="k" style="fill:' + c[1] + '">' + esc(lab.line2) + "</text></g>");
    });
    var w = Math.ceil(right + 12), h = Math.ceil(bottom + 12);
    m.svg.setAttribute("width", w); m.svg.setAttribute("height", h);
    m.svg.setAttribute("viewBox", "0 0 " + w + " " + h);
    m.svg.innerHTML = '<defs><marker id="arrow' + m.index + '" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="7" ' +
      'markerHeight="7" orient="auto"><path d="M0,0L8,4L0,8z" class="arrowhead"/></marker></defs>' +
      '<g class="edges" style="marker-end:url(#arrow' + m.index + ')">' + parts.filter(isEdge).join("") + "</g>" +
      parts.filter(function (p) { return !isEdge(p); }).join("");
    if (selected && selected.m === m.index) mark(m, selected.id, "selected");
  }
  function isEdge(p) { return p.charAt(1) === "p"; }
  function nodeElement(m, id) { return m.svg.querySelector('g[data-id="' + CSS.escape(id) + '"]'); }
  function mark(m, id, cls) {
    var el = nodeElement(m, id);
    if (el) el.classList.add(cls);
    return el;
  }

  function setColor(c) { color = c; scale = makeScale(); models.forEach(draw); legend(); }
  // ---- the page around the graphs: headings, legend, details panel, search
  var FIELDS = [["name", "name"], ["kind", "kind"], ["output", "output"], ["inputs", "inputs"], ["layers", "layers"],
                ["params", "params"], ["macs", "MACs"], ["flops", "FLOPs (2 x MACs)"], ["other_ops", "other ops"],
                ["activation_bytes", "activation memory"], ["rf", "receptive field"], ["kernel", "kernel"],
                ["arithmetic", "size arithmetic"], ["time_ms", "time (ms)"]];
  var NUMERIC = {params: 1, macs: 1, flops: 1, other_ops: 1, activation_bytes: 1, time_ms: 1, layers: 1};
  var details = document.getElementById("details");
  var status = document.getElementById("search-status");

  function totalsLine(t) {
    return "params " + short(t.params) + " (" + mb(t.param_bytes) + ") \u00b7 MACs " + short(t.macs) +
      " \u00b7 FLOPs " + short(t.flops) + " \u00b7 activations " + mb(t.activation_bytes) + " \u00b7 depth " + whole(t.depth);
  }
  function column(data, i) {
    var section = document.createElement("section");
    section.className = "model";
    section.innerHTML = "<h2>" + esc(data.model) + '</h2><p class="facts">input ' + esc(data.input) + " \u00b7 batch " +
      esc(data.batch) + " \u00b7 " + esc(data.dtype) + " \u00b7 " + data.layers.length + ' layers</p><p class="totals" data-model="' +
      i + '">' + esc(totalsLine(data.totals)) + "</p>" +
      (data.notes && data.notes.length ? '<ul class="notes">' + data.notes.map(function (n) { return "<li>" + esc(n) + "</li>"; }).join("") + "</ul>" : "") +
      '<div class="graph"><svg class="dag" data-model="' + i + '"></svg></div>';
    document.getElementById("models").appendChild(section);
    return section.querySelector("svg");
  }
  function tick(v) {
    if (color === "activation") return mb(v);
    if (color === "time") return short(v) + " ms";
    if (color === "rf") return String(Math.round(v));
    return short(Math.round(v));
  }
  function legend() {
    var box = document.getElementById("legend"), stops = STOPS.map(function (c, i) {
      return c + " " + (100 * i / (STOPS.length - 1)).toFixed(1) + "%";
    }).join(", "), ticks = [];
    for (var i = 0; i <= 4; i++) {
      var t = i / 4, v = scale.log ? scale.lo * Math.pow(scale.hi / scale.lo, t) : scale.lo + (scale.hi - scale.lo) * t;
      ticks.push('<span style="left:' + (100 * t) + '%">' + esc(tick(v)) + "</span>");
    }
    box.innerHTML = '<div class="legend-title">colour: ' + esc(UNIT[color]) + (scale.log ? " (log scale)" : " (linear scale)") +
      (models.length > 1 ? ", one scale for all models" : "") + '</div><div class="bar" style="background:linear-gradient(to right, ' +
      stops + ')"></div><div class="ticks">' + ticks.join("") + '</div><div class="zero"><span class="swatch" style="background:' +
      ZERO + '"></span>' + (color === "time" ? "0 or not measured" : (color === "rf" ? "no receptive field" : "0")) +
      (color === "rf" ? " \u00b7 global = darkest" : "") + " \u00b7 double border: a folded block (click to unfold)</div>";
    if (scale.empty) box.innerHTML = '<div class="legend-title">colour: ' + esc(UNIT[color]) +
      ': no layer has a figure for it (grey)' + (color === "time" ? "; give --bench FILE for measured times" : "") + "</div>";
    box.dataset.lo = scale.lo; box.dataset.hi = scale.hi;
  }
  function cell(key, f) {
    var v = key === "inputs" ? (f.inputs || []).join(", ") : f[key];
    if (v === undefined || v === null || v === "") return null;
    if (key === "activation_bytes" && !isNaN(num(v))) return whole(v) + " B (" + mb(v) + ")";
    if (NUMERIC[key] && !isNaN(num(v))) return whole(v) + (Math.abs(num(v)) >= 1e4 ? " (" + short(v) + ")" : "");
    return String(v);
  }
  function showDetails(m, id, unfolded) {
    var f = m.figures(id), rows = ['<tr data-field="model" data-value="' + esc(m.data.model) + '"><th>model</th><td>' +
                                   esc(m.data.model) + "</td></tr>"];
    FIELDS.forEach(function (pair) {
      var text = cell(pair[0], f);
      if (text === null) return;
      var raw = pair[0] === "inputs" ? f.inputs.join(",") : f[pair[0]];
      rows.push('<tr data-field="' + pair[0] + '" data-value="' + esc(raw) + '"><th>' + esc(pair[1]) + "</th><td>" + esc(text) + "</td></tr>");
    });
    var buttons = [], parts = f.name.split(".");
    if (id.charAt(0) === "B" && !unfolded) buttons.push(button("unfold", f.name));
    if (unfolded) buttons.push(button("fold", f.name));
    for (var k = parts.length - 1; k >= 1; k--) buttons.push(button("fold", parts.slice(0, k).join(".")));
    details.innerHTML = "<h3>" + esc(id.charAt(0) === "B" ? "block " + f.name : f.name) + "</h3>" +
      (unfolded ? '<p class="hint">unfolded; the figures are the sums over its layers</p>' : "") +
      "<table>" + rows.join("") + "</table>" + '<div class="folds" data-model="' + m.index + '">' + buttons.join("") + "</div>";
    details.dataset.model = m.index; details.dataset.name = f.name;
  }
  function button(action, name) {
    return '<button type="button" data-action="' + action + '" data-block="' + esc(name) + '">' + action + " " + esc(name) + "</button>";
  }
  function select(m, id) {
    models.forEach(function (o) { o.svg.querySelectorAll(".selected").forEach(function (e) { e.classList.remove("selected"); }); });
    selected = {m: m.index, id: id};
    return mark(m, id, "selected");
  }
  function unfoldBlock(m, name) {
    m.unfold(name);
    draw(m);
    var first = m.blocks.get(name).layers[0].name, el = select(m, m.rep(first));
    showDetails(m, "B:" + name, true);
    if (el) el.scrollIntoView({block: "center", inline: "center"});
  }
  function foldBlock(m, name) {
    m.fold(name);
    draw(m);
    var el = select(m, "B:" + name);
    showDetails(m, "B:" + name, false);
    if (el) el.scrollIntoView({block: "center", inline: "center"});
  }
  function onGraphClick(event) {
    var g = event.target.closest("g.node");
    if (!g) return;
    var m = models[Number(g.ownerSVGElement.dataset.model)], id = g.dataset.id;
    if (id.charAt(0) === "B") return unfoldBlock(m, id.slice(2));
    select(m, id);
    showDetails(m, id, false);
  }
  function find(m, q) {
    if (m.layers.has(q) || m.blocks.has(q)) return q;
    var low = q.toLowerCase();
    for (var i = 0; i < m.data.layers.length; i++) if (m.data.layers[i].name.toLowerCase().indexOf(low) >= 0) return m.data.layers[i].name;
    return null;
  }
  function search(q) {
    var first = null;
    document.querySelectorAll(".found").forEach(function (e) { e.classList.remove("found"); });
    models.forEach(function (m) {
      var name = find(m, q);
      if (name === null) return;
      m.reveal(name);
      if (m.blocks.has(name) && !m.folded.has(name)) name = m.blocks.get(name).layers[0].name;
      draw(m);
      var id = m.folded.has(name) ? "B:" + name : m.rep(name), el = mark(m, id, "found");
      if (!first) first = {m: m, id: id, el: el};
    });
    if (!first) { status.textContent = "no layer matches \u201c" + q + "\u201d"; return; }
    status.textContent = "";
    select(first.m, first.id);
    showDetails(first.m, first.id, false);
    if (first.el) first.el.scrollIntoView({block: "center", inline: "center"});
  }
  function init() {
    var t0 = performance.now();
    var svgs = DATA.models.map(column);
    start(svgs);
    var names = new Set();
    models.forEach(function (m) { m.layers.forEach(function (l, n) { names.add(n); }); });
    document.getElementById("names").innerHTML = Array.from(names).map(function (n) { return '<option value="' + esc(n) + '">'; }).join("");
    document.getElementById("models").addEventListener("click", onGraphClick);
    document.getElementById("models").addEventListener("keydown", function (event) {
      if (event.key === "Enter" || event.key === " ") { event.preventDefault(); onGraphClick(event); }
    });
    details.addEventListener("click", function (event) {
      var b = event.target.closest("button[data-action]");
      if (!b) return;
      var m = models[Number(b.parentNode.dataset.model)];
      (b.dataset.action === "fold" ? foldBlock : unfoldBlock)(m, b.dataset.block);
    });
    document.getElementById("search").addEventListener("keydown", function (event) {
      if (event.key === "Enter" && this.value.trim()) search(this.value.trim());
    });
    var pick = document.getElementById("color");
    pick.value = color;
    pick.addEventListener("change", function () { setColor(this.value); });
    window.archcalcView = {drawnMs: performance.now(), layoutMs: performance.now() - t0,
                           redraw: function (i) { var s = performance.now(); draw(models[i]); return performance.now() - s; }};
    document.documentElement.dataset.drawn = "1";
  }
  function start(svgs) {
    DATA.models.forEach(function (data, i) { var m = new Model(data, i); m.svg = svgs[i]; models.push(m); });
    scale = makeScale();
    models.forEach(draw);
    legend();
  }
  init();
})();

// The interactive citation network. It draws the JSON that litbase's Datasette
// plugin computes (positions included: the map `litbase graph` stored, refined
// for what is drawn), labels articles "Author, Year" without letting two labels
// overlap (the most important get a label, the rest show one on hover or
// zoom, as VOSviewer does), names clusters, lays the articles out as a map or
// along a year axis, filters by year, community and links, and opens an
// article's page on click. No library and no network: it works offline.
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                 "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"];
  var OTHER = "#c7c7c7";
  var WIDTH = 1000, HEIGHT = 700, MARGIN = 40, AXIS = 28;
  var SEED_RING = "#b03a2e";
  var CLUSTER_MIN = 3;
  var IMPORTANT_SHARE = 0.15; // this share of the visible articles, most cited first, may be labelled over circles // a community is named on the map once this many of its members are visible

  function el(name, attrs, parent) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (parent) parent.appendChild(node);
    return node;
  }

  function radius(n) {
    var r = Math.min(18, 3.5 + 2.2 * Math.sqrt(n.citations || 0));
    return n.seed ? Math.max(r, 9) : r;
  }

  function yearColour(year, range) {
    if (!year || !range) return "#bbbbbb";
    var t = range[1] > range[0] ? (year - range[0]) / (range[1] - range[0]) : 1;
    // light yellow (old) to dark blue (new), as Connected Papers shades by year
    var from = [255, 224, 130], to = [26, 60, 140];
    var c = from.map(function (f, i) { return Math.round(f + t * (to[i] - f)); });
    return "rgb(" + c.join(",") + ")";
  }

  function overlaps(a, b) {
    return a.x1 < b.x2 && b.x1 < a.x2 && a.y1 < b.y2 && b.y1 < a.y2;
  }

  // Fruchterman-Reingold from the positions the server sent (the stored map,
  // stretched over what is drawn): repulsion between every pair, attraction
  // along links, a step that cools to nothing. The more of the start was
  // stored, the cooler it starts, so the map keeps its shape. No randomness:
  // the same data is drawn the same way. Ends scaled back into 0..1.
  var RELAX = {stored: [0.03, 40], partial: [0.06, 80], fresh: [0.12, 150]};

  function relax(nodes, links, kind) {
    var n = nodes.length;
    if (n < 2) return;
    var plan = RELAX[kind] || RELAX.stored, t = plan[0], steps = plan[1], cool = t / (steps + 1);
    var k = Math.sqrt(1 / n), index = {}, x = new Float64Array(n), y = new Float64Array(n);
    nodes.forEach(function (node, i) { index[node.id] = i; x[i] = node.x; y[i] = node.y; });
    var pairs = links.map(function (l) { return [index[l.source], index[l.target]]; });
    var dx = new Float64Array(n), dy = new Float64Array(n);
    for (var step = 0; step < steps; step++) {
      dx.fill(0); dy.fill(0);
      for (var i = 0; i < n; i++) {
        for (var j = i + 1; j < n; j++) {
          var ddx = x[i] - x[j], ddy = y[i] - y[j], d2 = ddx * ddx + ddy * ddy;
          if (d2 < 1e-9) { ddx = 1e-3 * (j - i) / n; ddy = 1e-3; d2 = ddx * ddx + ddy * ddy; }
          var push = k * k / d2;
          dx[i] += ddx * push; dy[i] += ddy * push; dx[j] -= ddx * push; dy[j] -= ddy * push;
        }
      }
      pairs.forEach(function (p) {
        var a = p[0], b = p[1], ddx = x[a] - x[b], ddy = y[a] - y[b];
        var pull = Math.sqrt(ddx * ddx + ddy * ddy) / k;
        dx[a] -= ddx * pull; dy[a] -= ddy * pull; dx[b] += ddx * pull; dy[b] += ddy * pull;
      });
      for (i = 0; i < n; i++) {
        var length = Math.max(Math.sqrt(dx[i] * dx[i] + dy[i] * dy[i]), 0.01);
        var move = Math.min(t, length) / length;
        x[i] += dx[i] * move; y[i] += dy[i] * move;
      }
      t -= cool;
    }
    var minX = Math.min.apply(null, x), maxX = Math.max.apply(null, x);
    var minY = Math.min.apply(null, y), maxY = Math.max.apply(null, y);
    nodes.forEach(function (node, i) {
      node.x = maxX > minX ? (x[i] - minX) / (maxX - minX) : 0.5;
      node.y = maxY > minY ? (y[i] - minY) / (maxY - minY) : 0.5;
    });
  }

  function Network(container, data) {
    this.data = data;
    this.layout = "map";
    this.colourBy = "community";
    this.filter = {from: null, to: null, community: "all", minDegree: 0};
    this.scale = 1; this.tx = 0; this.ty = 0;
    this.rank = {};
    var self = this;
    data.communities.forEach(function (c, i) { self.rank[c.id] = i; });
    relax(data.nodes, data.links, data.layout);
    this.build(container);
  }

  Network.prototype.communityColour = function (community) {
    if (community === null || community === undefined) return OTHER;
    var i = this.rank[community];
    return i !== undefined && i < PALETTE.length ? PALETTE[i] : OTHER;
  };

  Network.prototype.build = function (container) {
    var data = this.data, self = this;
    var svg = this.svg = el("svg", {viewBox: "0 0 " + WIDTH + " " + HEIGHT, class: "litbase-network",
                                    role: "img", "aria-label": "Citation network"}, container);
    var defs = el("defs", {}, svg);
    var marker = el("marker", {id: "litbase-arrow", viewBox: "0 0 10 10", refX: "10", refY: "5",
                               markerWidth: "5", markerHeight: "5", orient: "auto-start-reverse"}, defs);
    el("path", {d: "M 0 0 L 10 5 L 0 10 z", fill: "#999"}, marker);
    this.view = el("g", {class: "litbase-view"}, svg);
    var linkLayer = el("g", {class: "litbase-links"}, this.view);
    var nodeLayer = el("g", {class: "litbase-nodes"}, this.view);
    this.axisLayer = el("g", {class: "litbase-axis"}, svg);
    this.clusterLayer = el("g", {class: "litbase-clusters"}, svg);
    this.labelLayer = el("g", {class: "litbase-labels"}, svg);
    this.byId = {};
    data.nodes.forEach(function (n) { self.byId[n.id] = n; });
    this.links = data.links.map(function (l) {
      return {source: self.byId[l.source], target: self.byId[l.target],
              line: el("line", {class: "litbase-link", "marker-end": "url(#litbase-arrow)"}, linkLayer)};
    });
    // Seeds last, so they are drawn on top.
    var order = data.nodes.slice().sort(function (a, b) { return (a.seed ? 1 : 0) - (b.seed ? 1 : 0); });
    order.forEach(function (n) {
      n.anchor = el("a", {href: n.url, class: "litbase-node-link"}, nodeLayer);
      n.circle = el("circle", {r: radius(n), class: "litbase-node" + (n.seed ? " litbase-seed" : "") +
                               (n.id === data.focus ? " litbase-focus" : ""), "data-pmid": n.id}, n.anchor);
      el("title", {}, n.circle).textContent = (n.title || "Title not known") + " — " + n.label +
        (n.journal ? ", " + n.journal : "") + "; cited " + n.citations + " times here" +
        (n.seed ? " (seed)" : "");
      var link = el("a", {href: n.url, class: "litbase-label-link"}, self.labelLayer);
      n.text = el("text", {class: "litbase-label" + (n.seed ? " litbase-seed-label" : ""),
                           "data-pmid": n.id}, link);
      n.text.textContent = n.label;
      n.labelLink = link;
    });
    // Text sizes do not change with zoom: measure each label once.
    data.nodes.forEach(function (n) { n.box = n.text.getBBox(); });
    this.clusters = data.communities.map(function (c) {
      var text = el("text", {class: "litbase-cluster", fill: self.communityColour(c.id)}, self.clusterLayer);
      text.textContent = c.name;
      return {community: c, text: text, box: text.getBBox()};
    });
    // Most important first: they keep their label when space runs out.
    this.labelOrder = data.nodes.slice().sort(function (a, b) {
      return (b.id === data.focus) - (a.id === data.focus) || (b.seed - a.seed) ||
        (b.citations - a.citations) || (b.degree - a.degree) || (a.id - b.id);
    });
    this.bindZoom();
    this.place();
  };

  // Node positions in the drawing's own units, for the current layout.
  Network.prototype.place = function () {
    var data = this.data, layout = this.layout;
    var years = data.years;
    var undated = data.nodes.some(function (n) { return !n.year; });
    var right = WIDTH - MARGIN - (undated ? 50 : 0);
    data.nodes.forEach(function (n) {
      if (layout === "timeline" && years) {
        var span = years[1] - years[0];
        n.px = !n.year ? WIDTH - MARGIN : MARGIN + (span ? (n.year - years[0]) / span : 0.5) * (right - MARGIN);
        n.py = MARGIN + n.y * (HEIGHT - 2 * MARGIN - AXIS);
      } else {
        n.px = MARGIN + n.x * (WIDTH - 2 * MARGIN);
        n.py = MARGIN + n.y * (HEIGHT - 2 * MARGIN);
      }
      n.circle.setAttribute("cx", n.px);
      n.circle.setAttribute("cy", n.py);
    });
    this.links.forEach(function (l) {
      var a = l.source, b = l.target;
      var dx = b.px - a.px, dy = b.py - a.py, len = Math.sqrt(dx * dx + dy * dy) || 1;
      var r = radius(b) + 1;
      l.line.setAttribute("x1", a.px); l.line.setAttribute("y1", a.py);
      l.line.setAttribute("x2", b.px - dx / len * r); l.line.setAttribute("y2", b.py - dy / len * r);
    });
    this.refresh();
  };

  Network.prototype.visible = function (n) {
    var f = this.filter, years = this.data.years;
    var narrowed = years && ((f.from !== null && f.from > years[0]) || (f.to !== null && f.to < years[1]));
    if (narrowed && !n.year) return false;  // an undated article is in no year range
    if (f.from !== null && n.year && n.year < f.from) return false;
    if (f.to !== null && n.year && n.year > f.to) return false;
    if (f.community !== "all" && String(n.community) !== f.community) return false;
    return n.degree >= f.minDegree;
  };

  // Apply filters and colours, then label what fits.
  Network.prototype.refresh = function () {
    var self = this, shown = 0;
    this.data.nodes.forEach(function (n) {
      n.shown = self.visible(n);
      if (n.shown) shown += 1;
      n.anchor.style.display = n.shown ? "" : "none";
      n.circle.setAttribute("fill", self.colourBy === "year" ? yearColour(n.year, self.data.years)
                                                             : self.communityColour(n.community));
    });
    this.links.forEach(function (l) {
      l.line.style.display = l.source.shown && l.target.shown ? "" : "none";
    });
    this.shownCount = shown;
    this.label();
    if (this.onchange) this.onchange(shown);
  };

  Network.prototype.screen = function (x, y) {
    return [x * this.scale + this.tx, y * this.scale + this.ty];
  };

  // Greedy label placement: cluster names first, then articles by importance, each
  // at the first of four spots beside its circle that is inside the drawing and
  // clear of every label placed so far; an article with no free spot goes unlabelled.
  Network.prototype.label = function () {
    var self = this, taken = [];
    var inside = function (b) { return b.x1 >= 0 && b.y1 >= 0 && b.x2 <= WIDTH && b.y2 <= HEIGHT; };
    var free = function (b) {
      if (!inside(b)) return false;
      for (var i = 0; i < taken.length; i++) if (overlaps(b, taken[i])) return false;
      return true;
    };
    var put = function (text, box, left, top) {
      text.setAttribute("x", left - box.x);
      text.setAttribute("y", top - box.y);
    };
    this.drawAxis();
    var named = this.layout === "map" ? this.clusters.filter(function (c) {
      return self.data.nodes.filter(function (n) {
        return n.shown && n.community === c.community.id;
      }).length >= CLUSTER_MIN;
    }) : [];
    var nameClusters = named.length >= 2;
    this.clusters.forEach(function (c) {
      c.text.style.display = "none";
      if (!nameClusters || named.indexOf(c) < 0) return;
      var members = self.data.nodes.filter(function (n) { return n.shown && n.community === c.community.id; });
      var cx = 0, cy = 0;
      members.forEach(function (n) { cx += n.px; cy += n.py; });
      var p = self.screen(cx / members.length, cy / members.length);
      var b = {x1: p[0] - c.box.width / 2, y1: p[1] - c.box.height / 2};
      b.x2 = b.x1 + c.box.width; b.y2 = b.y1 + c.box.height;
      if (free(b)) {
        put(c.text, c.box, b.x1, b.y1);
        c.text.style.display = "";
        taken.push({x1: b.x1 - 2, y1: b.y1 - 2, x2: b.x2 + 2, y2: b.y2 + 2});
      }
    });
    // The most important articles are labelled even over other circles (as
    // VOSviewer does); the rest only where they hide no other article.
    var circles = [];
    this.data.nodes.forEach(function (n) {
      if (!n.shown) return;
      var p = self.screen(n.px, n.py), r = radius(n) * self.scale;
      circles.push({x1: p[0] - r, y1: p[1] - r, x2: p[0] + r, y2: p[1] + r});
    });
    var important = Math.max(10, Math.round(this.shownCount * IMPORTANT_SHARE)), rank = 0;
    this.labelled = 0;
    this.labelOrder.forEach(function (n) {
      if (n.shown && rank++ === important) taken = taken.concat(circles);
      n.labelLink.style.display = "none";
      if (!n.shown) return;
      var p = self.screen(n.px, n.py), r = radius(n) * self.scale, w = n.box.width, h = n.box.height;
      var spots = [[p[0] + r + 3, p[1] - h / 2], [p[0] - r - 3 - w, p[1] - h / 2],
                   [p[0] - w / 2, p[1] - r - 2 - h], [p[0] - w / 2, p[1] + r + 2]];
      for (var i = 0; i < spots.length; i++) {
        var b = {x1: spots[i][0], y1: spots[i][1], x2: spots[i][0] + w, y2: spots[i][1] + h};
        if (free(b)) {
          put(n.text, n.box, b.x1, b.y1);
          n.labelLink.style.display = "";
          taken.push({x1: b.x1 - 1, y1: b.y1 - 1, x2: b.x2 + 1, y2: b.y2 + 1});
          self.labelled += 1;
          return;
        }
      }
    });
  };

  Network.prototype.drawAxis = function () {
    var layer = this.axisLayer, years = this.data.years, self = this;
    while (layer.firstChild) layer.removeChild(layer.firstChild);
    if (this.layout !== "timeline" || !years) return;
    var span = years[1] - years[0];
    var step = span > 60 ? 10 : span > 25 ? 5 : span > 10 ? 2 : 1;
    var ticks = [];
    for (var y = Math.ceil(years[0] / step) * step; y <= years[1]; y += step) ticks.push(y);
    if (ticks.indexOf(years[0]) < 0) ticks.unshift(years[0]);
    var yearNode = function (year) {
      var right = WIDTH - MARGIN - (self.data.nodes.some(function (n) { return !n.year; }) ? 50 : 0);
      return MARGIN + (span ? (year - years[0]) / span : 0.5) * (right - MARGIN);
    };
    el("line", {x1: 0, x2: WIDTH, y1: HEIGHT - AXIS + 2, y2: HEIGHT - AXIS + 2, class: "litbase-axis-line"}, layer);
    var last = -Infinity;
    ticks.forEach(function (year) {
      var x = self.screen(yearNode(year), 0)[0];
      if (x < 10 || x > WIDTH - 10 || x - last < 34) return;
      last = x;
      el("text", {x: x, y: HEIGHT - 8, class: "litbase-axis-year"}, layer).textContent = year;
    });
    if (this.data.nodes.some(function (n) { return !n.year; })) {
      var x = self.screen(WIDTH - MARGIN, 0)[0];
      if (x > 10 && x < WIDTH - 4) el("text", {x: x, y: HEIGHT - 8, class: "litbase-axis-year"}, layer).textContent = "n.d.";
    }
  };

  // Zoom with the wheel, pan by dragging the background; labels are re-placed at each step.
  Network.prototype.bindZoom = function () {
    var self = this, svg = this.svg, dragging = null;
    function apply() {
      self.view.setAttribute("transform", "translate(" + self.tx + "," + self.ty + ") scale(" + self.scale + ")");
      self.label();
    }
    this.apply = apply;
    svg.addEventListener("wheel", function (e) {
      e.preventDefault();
      var factor = e.deltaY < 0 ? 1.2 : 1 / 1.2;
      var pt = svg.createSVGPoint(); pt.x = e.clientX; pt.y = e.clientY;
      var p = pt.matrixTransform(svg.getScreenCTM().inverse());
      self.tx = p.x - (p.x - self.tx) * factor; self.ty = p.y - (p.y - self.ty) * factor;
      self.scale *= factor; apply();
    }, {passive: false});
    svg.addEventListener("mousedown", function (e) {
      if (!e.target.closest("a")) dragging = {x: e.clientX, y: e.clientY, tx: self.tx, ty: self.ty};
    });
    window.addEventListener("mousemove", function (e) {
      if (!dragging) return;
      var k = WIDTH / svg.getBoundingClientRect().width;
      self.tx = dragging.tx + (e.clientX - dragging.x) * k; self.ty = dragging.ty + (e.clientY - dragging.y) * k;
      apply();
    });
    window.addEventListener("mouseup", function () { dragging = null; });
  };

  Network.prototype.reset = function () { this.scale = 1; this.tx = 0; this.ty = 0; this.apply(); };

  function swatch(colour, ring) {
    var s = document.createElement("span");
    s.className = "litbase-swatch" + (ring ? " litbase-swatch-seed" : "");
    s.style.background = colour;
    return s;
  }

  function legendItem(box, colour, text, ring) {
    var item = document.createElement("span");
    item.className = "litbase-legend-item";
    item.appendChild(swatch(colour, ring));
    item.appendChild(document.createTextNode(text));
    box.appendChild(item);
  }

  function drawLegend(box, network) {
    var data = network.data;
    box.textContent = "";
    if (network.colourBy === "year" && data.years) {
      var span = data.years[1] - data.years[0], steps = Math.min(5, span + 1);
      for (var i = 0; i < steps; i++) {
        var year = Math.round(data.years[0] + (steps > 1 ? i * span / (steps - 1) : 0));
        legendItem(box, yearColour(year, data.years), String(year));
      }
    } else {
      data.communities.slice(0, PALETTE.length).forEach(function (c) {
        legendItem(box, network.communityColour(c.id), c.name + " (" + c.size + ")");
      });
      var rest = data.nodes.filter(function (n) {
        var i = network.rank[n.community];
        return i === undefined || i >= PALETTE.length;
      }).length;
      if (rest) legendItem(box, OTHER, "other communities or not computed yet (" + rest + ")");
    }
    legendItem(box, "#ffffff", "seed", true);
  }

  function start() {
    var container = document.getElementById("litbase-network");
    if (!container) return;
    var data = JSON.parse(document.getElementById("litbase-network-data").textContent);
    var network = new Network(container, data);
    var byId = function (id) { return document.getElementById(id); };
    var legendBox = byId("litbase-legend"), status = byId("litbase-shown");
    var communitySelect = byId("litbase-community");
    data.communities.forEach(function (c) {
      var option = document.createElement("option");
      option.value = String(c.id);
      option.textContent = c.name + " (" + c.size + ")";
      communitySelect.appendChild(option);
    });
    network.onchange = function (shown) {
      status.textContent = shown + " of " + data.nodes.length + " drawn articles shown, " +
        network.labelled + " labelled";
      status.setAttribute("data-shown", shown);
    };
    var number = function (input) { return input.value === "" ? null : parseInt(input.value, 10); };
    function update() {
      network.filter = {from: number(byId("litbase-year-from")), to: number(byId("litbase-year-to")),
                        community: communitySelect.value,
                        minDegree: number(byId("litbase-min-degree")) || 0};
      network.colourBy = byId("litbase-colour").value;
      drawLegend(legendBox, network);
      if (network.layout !== byId("litbase-layout").value) {
        network.layout = byId("litbase-layout").value;
        network.place();
      } else {
        network.refresh();
      }
    }
    ["litbase-year-from", "litbase-year-to", "litbase-min-degree"].forEach(function (id) {
      byId(id).addEventListener("input", update);
    });
    ["litbase-community", "litbase-colour", "litbase-layout"].forEach(function (id) {
      byId(id).addEventListener("change", update);
    });
    byId("litbase-reset").addEventListener("click", function () { network.reset(); });
    // One community (a seed and its reference list) says nothing by colour: show the years instead.
    if (data.communities.length < 2) byId("litbase-colour").value = "year";
    update();
    container.setAttribute("data-ready", "true");
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();

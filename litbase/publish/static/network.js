// The interactive citation network: draws the JSON that litbase's Datasette
// plugin computes (positions included), sizes nodes by citations, colours
// them by community or by year, zooms and pans, and opens an article's page
// on click. No library and no network: it works offline.
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                 "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"];
  var WIDTH = 1000, HEIGHT = 700, MARGIN = 30;

  function el(name, attrs, parent) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (parent) parent.appendChild(node);
    return node;
  }

  function radius(n) { return 4 + 2.5 * Math.sqrt(n.citations || 0); }

  function yearColour(year, range) {
    if (!year || !range) return "#bbbbbb";
    var t = range[1] > range[0] ? (year - range[0]) / (range[1] - range[0]) : 1;
    // light yellow (old) to dark blue (new)
    var from = [255, 224, 130], to = [26, 60, 140];
    var c = from.map(function (f, i) { return Math.round(f + t * (to[i] - f)); });
    return "rgb(" + c.join(",") + ")";
  }

  function colour(n, mode, data) {
    if (mode === "year") return yearColour(n.year, data.years);
    if (n.community === null || n.community === undefined) return "#7f7f7f";
    return n.community < PALETTE.length ? PALETTE[n.community] : "#c7c7c7";
  }

  function legend(box, mode, data) {
    box.textContent = "";
    if (mode === "year" && data.years) {
      box.innerHTML = "<span class='swatch' style='background:" + yearColour(data.years[0], data.years) +
        "'></span> " + data.years[0] + " &rarr; <span class='swatch' style='background:" +
        yearColour(data.years[1], data.years) + "'></span> " + data.years[1];
    } else {
      box.textContent = "Colours are communities (Louvain), largest first; grey: beyond the tenth or not computed.";
    }
  }

  function draw(container, data) {
    var svg = el("svg", {viewBox: "0 0 " + WIDTH + " " + HEIGHT, class: "litbase-network",
                         role: "img", "aria-label": "Citation network"}, container);
    var defs = el("defs", {}, svg);
    var marker = el("marker", {id: "arrow", viewBox: "0 0 10 10", refX: "10", refY: "5",
                               markerWidth: "5", markerHeight: "5", orient: "auto-start-reverse"}, defs);
    el("path", {d: "M 0 0 L 10 5 L 0 10 z", fill: "#999"}, marker);
    var view = el("g", {}, svg);
    var byId = {};
    data.nodes.forEach(function (n) {
      n.px = MARGIN + n.x * (WIDTH - 2 * MARGIN);
      n.py = MARGIN + n.y * (HEIGHT - 2 * MARGIN);
      byId[n.id] = n;
    });
    data.links.forEach(function (l) {
      var a = byId[l.source], b = byId[l.target];
      if (!a || !b) return;
      var dx = b.px - a.px, dy = b.py - a.py, len = Math.sqrt(dx * dx + dy * dy) || 1;
      var r = radius(b) + 1;
      el("line", {x1: a.px, y1: a.py, x2: b.px - dx / len * r, y2: b.py - dy / len * r,
                  class: "litbase-link", "marker-end": "url(#arrow)"}, view);
    });
    var circles = data.nodes.map(function (n) {
      var link = el("a", {href: n.url, class: "litbase-node-link"}, view);
      var c = el("circle", {cx: n.px, cy: n.py, r: radius(n), class: "litbase-node" +
                            (n.id === data.focus ? " litbase-focus" : ""), "data-pmid": n.id}, link);
      var tip = el("title", {}, c);
      tip.textContent = (n.title || "Title not known") + " — " + n.label +
        (n.journal ? ", " + n.journal : "") + "; cited " + n.citations + " times here";
      return {node: n, circle: c};
    });
    // Zoom with the wheel, pan by dragging the background.
    var scale = 1, tx = 0, ty = 0, dragging = null;
    function apply() { view.setAttribute("transform", "translate(" + tx + "," + ty + ") scale(" + scale + ")"); }
    svg.addEventListener("wheel", function (e) {
      e.preventDefault();
      var factor = e.deltaY < 0 ? 1.15 : 1 / 1.15;
      var pt = svg.createSVGPoint(); pt.x = e.clientX; pt.y = e.clientY;
      var p = pt.matrixTransform(svg.getScreenCTM().inverse());
      tx = p.x - (p.x - tx) * factor; ty = p.y - (p.y - ty) * factor; scale *= factor; apply();
    }, {passive: false});
    svg.addEventListener("mousedown", function (e) {
      if (e.target.tagName !== "circle") dragging = {x: e.clientX, y: e.clientY, tx: tx, ty: ty};
    });
    window.addEventListener("mousemove", function (e) {
      if (!dragging) return;
      var k = WIDTH / svg.getBoundingClientRect().width;
      tx = dragging.tx + (e.clientX - dragging.x) * k; ty = dragging.ty + (e.clientY - dragging.y) * k; apply();
    });
    window.addEventListener("mouseup", function () { dragging = null; });
    return circles;
  }

  function start() {
    var container = document.getElementById("litbase-network");
    if (!container) return;
    var data = JSON.parse(document.getElementById("litbase-network-data").textContent);
    var circles = draw(container, data);
    var select = document.getElementById("litbase-colour");
    var legendBox = document.getElementById("litbase-legend");
    function recolour() {
      circles.forEach(function (c) { c.circle.setAttribute("fill", colour(c.node, select.value, data)); });
      legend(legendBox, select.value, data);
    }
    select.addEventListener("change", recolour);
    recolour();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();

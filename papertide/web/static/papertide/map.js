// The topic map: every paper a dot on a canvas, drawn into one ImageData per frame (100,000 dots in a few ms, where
// a fillRect per dot takes tens), zoom and pan, a title on hover, a click to open the paper. No library.
// window.papertideMap reports load and frame times for the benchmark (papertide bench map).
(function () {
  "use strict";
  var canvas = document.getElementById("map-canvas");
  if (!canvas) return;
  var info = JSON.parse(document.getElementById("map-info").textContent);
  var tip = document.getElementById("map-tip");
  var status = document.getElementById("map-status");
  var ctx = canvas.getContext("2d");
  var stats = (window.papertideMap = { count: 0, loadMs: null, frames: [] });
  var started = performance.now();
  var n = 0, X, Y, ids, region, flags, grid;
  var GRID = 256, TODAY = 1, MINE = 2;
  var view = { scale: 1, ox: 0, oy: 0 };
  var size = 1, dpr = 1, width = 0, height = 0, image = null, pixels = null, dirty = true, hovered = -1;
  var css = getComputedStyle(document.documentElement);
  var dark = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
  var palette = ["#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2", "#edc948", "#ff9da7", "#9c755f", "#bab0ac",
                 "#86bcb6", "#d37295", "#a0cbe8"].map(rgba);
  var background = rgba(css.getPropertyValue("--card").trim() || (dark ? "#1d2024" : "#ffffff"));
  var todayColour = rgba(dark ? "#ffd166" : "#d62728"), mineColour = rgba(dark ? "#ffffff" : "#111111");

  function rgba(hex) {
    var v = parseInt(hex.replace("#", ""), 16);
    return (255 << 24 | (v & 255) << 16 | (v >> 8 & 255) << 8 | v >> 16) >>> 0; // little-endian ABGR
  }

  function resize() {
    dpr = window.devicePixelRatio || 1;
    var box = canvas.getBoundingClientRect();
    width = Math.max(1, Math.round(box.width * dpr));
    height = Math.max(1, Math.round(box.height * dpr));
    canvas.width = width; canvas.height = height;
    size = Math.min(box.width, box.height);
    if (!view.fitted) { view.ox = (box.width - size) / 2; view.oy = (box.height - size) / 2; view.fitted = true; }
    image = ctx.createImageData(width, height);
    pixels = new Uint32Array(image.data.buffer);
    dirty = true;
  }

  function load(buffer) {
    var head = new DataView(buffer);
    if (String.fromCharCode(head.getUint8(0), head.getUint8(1), head.getUint8(2), head.getUint8(3)) !== "PTM1") {
      throw new Error("not a papertide map");
    }
    n = head.getUint32(4, true);
    var qx = new Uint16Array(buffer, 8, n), qy = new Uint16Array(buffer, 8 + 2 * n, n);
    var idOffset = 8 + 4 * n;
    ids = new Uint32Array(buffer.slice(idOffset, idOffset + 4 * n));
    region = new Uint8Array(buffer, idOffset + 4 * n, n);
    flags = new Uint8Array(n);
    flags.set(new Uint8Array(buffer, idOffset + 5 * n, n));
    X = new Float32Array(n); Y = new Float32Array(n);
    for (var i = 0; i < n; i++) { X[i] = qx[i] / 65535; Y[i] = qy[i] / 65535; }
    // Points bucketed by cell (a counting sort): a hover looks at the few cells under the cursor.
    var cell = new Int32Array(n), start = new Int32Array(GRID * GRID + 1);
    for (i = 0; i < n; i++) {
      cell[i] = Math.min(GRID - 1, X[i] * GRID | 0) * GRID + Math.min(GRID - 1, Y[i] * GRID | 0);
      start[cell[i] + 1]++;
    }
    for (i = 0; i < GRID * GRID; i++) start[i + 1] += start[i];
    var fill = start.slice(0, GRID * GRID), items = new Int32Array(n);
    for (i = 0; i < n; i++) items[fill[cell[i]]++] = i;
    grid = { start: start, items: items };
    stats.count = n;
  }

  function dot(px, py, r, colour) {
    for (var y = Math.max(0, py - r); y <= Math.min(height - 1, py + r); y++) {
      var row = y * width;
      for (var x = Math.max(0, px - r); x <= Math.min(width - 1, px + r); x++) pixels[row + x] = colour;
    }
  }

  function draw() {
    if (!dirty || !pixels) return;
    dirty = false;
    var t0 = performance.now();
    pixels.fill(background);
    var k = size * view.scale * dpr, ox = view.ox * dpr, oy = view.oy * dpr;
    var r = view.scale > 8 ? 2 : view.scale > 2 ? 1 : 0, i, px, py;
    for (i = 0; i < n; i++) {
      if (flags[i]) continue;
      px = X[i] * k + ox | 0; py = Y[i] * k + oy | 0;
      if (px < 0 || py < 0 || px >= width || py >= height) continue;
      if (r === 0) { pixels[py * width + px] = palette[region[i] % palette.length]; }
      else dot(px, py, r, palette[region[i] % palette.length]);
    }
    for (i = 0; i < n; i++) { // the latest day and the reader's papers on top
      if (!flags[i]) continue;
      px = X[i] * k + ox | 0; py = Y[i] * k + oy | 0;
      if (px >= -3 && py >= -3 && px < width + 3 && py < height + 3) dot(px, py, r + 1, flags[i] & MINE ? mineColour : todayColour);
    }
    ctx.putImageData(image, 0, 0);
    ctx.save();
    ctx.scale(dpr, dpr);
    ctx.font = "600 13px system-ui, sans-serif";
    ctx.textAlign = "center";
    ctx.lineWidth = 3;
    ctx.strokeStyle = dark ? "rgba(0,0,0,.8)" : "rgba(255,255,255,.85)";
    ctx.fillStyle = dark ? "#e6e7e9" : "#1d1f23";
    info.regions.forEach(function (each) {
      if (!each.count) return;
      var x = each.x * size * view.scale + view.ox, y = each.y * size * view.scale + view.oy;
      ctx.strokeText(each.label, x, y); ctx.fillText(each.label, x, y);
    });
    if (hovered >= 0) {
      ctx.beginPath();
      ctx.arc(X[hovered] * size * view.scale + view.ox, Y[hovered] * size * view.scale + view.oy, 6, 0, 2 * Math.PI);
      ctx.strokeStyle = dark ? "#fff" : "#000"; ctx.lineWidth = 2; ctx.stroke();
    }
    ctx.restore();
    stats.frames.push(performance.now() - t0);
    if (stats.frames.length > 600) stats.frames.shift();
  }

  function loop() { draw(); requestAnimationFrame(loop); }

  function zoom(factor, cx, cy) {
    var scale = Math.min(400, Math.max(0.5, view.scale * factor));
    factor = scale / view.scale;
    view.ox = cx - (cx - view.ox) * factor; view.oy = cy - (cy - view.oy) * factor;
    view.scale = scale; dirty = true;
  }

  function nearest(sx, sy) {
    if (!grid) return -1;
    var k = size * view.scale, x = (sx - view.ox) / k, y = (sy - view.oy) / k, radius = 8 / k;
    var best = -1, bestD = radius * radius;
    var x0 = Math.max(0, (x - radius) * GRID | 0), x1 = Math.min(GRID - 1, (x + radius) * GRID | 0);
    var y0 = Math.max(0, (y - radius) * GRID | 0), y1 = Math.min(GRID - 1, (y + radius) * GRID | 0);
    for (var gx = x0; gx <= x1; gx++) for (var gy = y0; gy <= y1; gy++) {
      var c = gx * GRID + gy;
      for (var j = grid.start[c]; j < grid.start[c + 1]; j++) {
        var i = grid.items[j], dx = X[i] - x, dy = Y[i] - y, d = dx * dx + dy * dy;
        if (d <= bestD) { bestD = d; best = i; }
      }
    }
    return best;
  }

  var titles = new Map(), pending = null;
  function paperUrl(i, suffix) { return canvas.dataset.paper.replace(/0\.json$/, ids[i] + ".json") + (suffix || ""); }
  function showTip(i, sx, sy) {
    tip.style.left = Math.min(sx + 14, canvas.clientWidth - 260) + "px";
    tip.style.top = sy + 14 + "px";
    var known = titles.get(ids[i]);
    if (known) { tip.textContent = known; tip.hidden = false; return; }
    tip.textContent = "…"; tip.hidden = false;
    clearTimeout(pending);
    pending = setTimeout(function () {
      fetch(paperUrl(i)).then(function (r) { return r.ok ? r.json() : null; }).then(function (paper) {
        if (!paper) return;
        var text = paper.title + (paper.day ? " (" + paper.day + ")" : "");
        titles.set(ids[i], text);
        if (hovered === i) tip.textContent = text;
      });
    }, 60);
  }

  var drag = null;
  canvas.addEventListener("wheel", function (event) {
    event.preventDefault();
    var box = canvas.getBoundingClientRect();
    zoom(Math.exp(-event.deltaY * 0.0015), event.clientX - box.left, event.clientY - box.top);
  }, { passive: false });
  canvas.addEventListener("pointerdown", function (event) {
    drag = { x: event.clientX, y: event.clientY, moved: false };
    canvas.setPointerCapture(event.pointerId);
  });
  canvas.addEventListener("pointermove", function (event) {
    var box = canvas.getBoundingClientRect(), sx = event.clientX - box.left, sy = event.clientY - box.top;
    if (drag) {
      var dx = event.clientX - drag.x, dy = event.clientY - drag.y;
      if (Math.abs(dx) + Math.abs(dy) > 2) drag.moved = true;
      view.ox += dx; view.oy += dy; drag.x = event.clientX; drag.y = event.clientY; dirty = true;
      return;
    }
    var i = nearest(sx, sy);
    if (i !== hovered) { hovered = i; dirty = true; }
    if (i >= 0) showTip(i, sx, sy); else tip.hidden = true;
  });
  canvas.addEventListener("pointerup", function () {
    var clicked = drag && !drag.moved && hovered >= 0;
    drag = null;
    if (clicked) window.location.href = paperUrl(hovered, "?go=1");
  });
  canvas.addEventListener("pointerleave", function () { tip.hidden = true; if (hovered >= 0) { hovered = -1; dirty = true; } });
  canvas.addEventListener("keydown", function (event) {
    var moves = { ArrowLeft: [40, 0], ArrowRight: [-40, 0], ArrowUp: [0, 40], ArrowDown: [0, -40] };
    var w = canvas.clientWidth / 2, h = canvas.clientHeight / 2;
    if (event.key === "+" || event.key === "=") zoom(1.5, w, h);
    else if (event.key === "-") zoom(1 / 1.5, w, h);
    else if (moves[event.key]) { view.ox += moves[event.key][0]; view.oy += moves[event.key][1]; dirty = true; }
    else return;
    event.preventDefault();
  });
  window.addEventListener("resize", resize);
  // Where a paper's dot is on the page, and its flags: for tests and the benchmark, which drive the map by mouse.
  stats.point = function (paperId) {
    for (var i = 0; i < n; i++) {
      if (ids[i] !== paperId) continue;
      var box = canvas.getBoundingClientRect();
      return { x: box.left + X[i] * size * view.scale + view.ox, y: box.top + Y[i] * size * view.scale + view.oy,
               today: !!(flags[i] & TODAY), mine: !!(flags[i] & MINE) };
    }
    return null;
  };

  fetch(canvas.dataset.points).then(function (response) {
    if (!response.ok) throw new Error("the map answered " + response.status);
    return response.arrayBuffer();
  }).then(function (buffer) {
    load(buffer);
    resize();
    draw();
    stats.loadMs = performance.now() - started;
    status.textContent = n.toLocaleString() + " papers";
    requestAnimationFrame(loop);
    return fetch(canvas.dataset.mine, { credentials: "same-origin" });
  }).then(function (response) { return response && response.ok ? response.json() : { ids: [] }; }).then(function (mine) {
    if (!mine.ids.length) return;
    var wanted = new Set(mine.ids);
    for (var i = 0; i < n; i++) if (wanted.has(ids[i])) flags[i] |= MINE;
    dirty = true;
  }).catch(function (error) { status.textContent = "The map could not be loaded: " + error.message; });
})();

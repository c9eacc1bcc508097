"""The topic map at scale, on the generated site of `bench pages` (default 100,000 papers):

- the layout: t-SNE fitted on 20,000 papers and the rest placed by neighbours (`topics/projection.py`), then
  placing one day of new papers (the newest 1,000 taken off the map first) without fitting again;
- its data: `/map/points.bin`, bytes and server time, first (built from the files) and again (kept);
- the browser (Debian's Chromium through Playwright, no cache): from navigation to the map drawn (download,
  parse, first frame), then the time each frame takes to draw while the reader zooms and pans with the mouse.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from papertide.bench.pages import Served, bench_env, ensure_site

LAYOUT = """
import json, time
from papertide.cli import setup_django
setup_django(migrate=True)
import numpy as np
from papertide.bench.pages import borrow_keyphrases
from papertide.topics import projection
borrow_keyphrases()
started = time.perf_counter()
projection.update(rebuild=True)
fit = time.perf_counter() - started
found = projection.read()
newest = np.sort(found.ids)[-1000:]
keep = ~np.isin(found.ids, newest)
projection.write(found.ids[keep], found.xy[keep], found.topic[keep], np.load(projection.directory() / "map-base.npy"),
                 model=found.info["model"], fitted_on=found.info["fitted_on"], regions=found.info["regions"])
started = time.perf_counter()
placed = projection.update()
place = time.perf_counter() - started
print(json.dumps({"papers": int(len(found.ids)), "fit_s": round(fit, 1), "placed": placed, "place_s": round(place, 2),
                  "regions": len(found.info["regions"])}))
"""


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def run_map_benchmark(work: Path, papers: int, days: int, runs: int, chromium: Path) -> dict:
    env = bench_env(work)
    ensure_site(work, papers, days, env)
    layout = subprocess.run([sys.executable, "-c", LAYOUT], env=env, check=True, stdout=subprocess.PIPE, text=True)
    figures = json.loads(layout.stdout.strip().splitlines()[-1])
    from playwright.sync_api import sync_playwright

    with Served(work, env) as served:
        base = f"http://127.0.0.1:{served.port}"
        data = []
        for _ in range(2):
            started = time.perf_counter()
            with urllib.request.urlopen(base + "/map/points.bin", timeout=60) as response:
                body = response.read()
            data.append((time.perf_counter() - started) * 1000)
        figures |= {"bytes": len(body), "data_first_ms": round(data[0], 1), "data_again_ms": round(data[1], 1)}
        loads, frames = [], []
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(chromium), args=["--no-sandbox", "--headless"])
            for _ in range(runs):
                context = browser.new_context(viewport={"width": 1280, "height": 900})
                page = context.new_page()
                started = time.perf_counter()
                page.goto(base + "/map/")
                page.locator("#map-status").filter(has_text=" papers").wait_for(timeout=60_000)
                loads.append((time.perf_counter() - started) * 1000)
                page.evaluate("() => { window.papertideMap.frames.length = 0; }")
                box = page.locator("#map-canvas").bounding_box()
                x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
                page.mouse.move(x, y)
                for step in range(40):  # zoom in, then out, at the centre
                    page.mouse.wheel(0, -120 if step < 20 else 120)
                    page.wait_for_timeout(16)
                page.mouse.down()
                for step in range(40):  # pan
                    page.mouse.move(x + 6 * step, y + 3 * step)
                    page.wait_for_timeout(16)
                page.mouse.up()
                page.wait_for_timeout(100)
                frames += page.evaluate("() => window.papertideMap.frames.slice()")
                context.close()
            browser.close()
    figures |= {"runs": runs, "load_ms": [round(v) for v in loads], "frames": len(frames),
                "frame_p50_ms": round(_percentile(frames, 0.5), 1), "frame_p95_ms": round(_percentile(frames, 0.95), 1),
                "frame_max_ms": round(max(frames), 1) if frames else None}
    return figures

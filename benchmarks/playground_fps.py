"""The playground's redraw rate: decision regions drawn per second, as the page sees them.

``python -m benchmarks.playground_fps`` (or ``make bench-playground``) serves the
playground on 127.0.0.1, opens it in the system's Chromium (headless, as the tests
drive it), trains the issue's case, a 2-8-8-2 tanh network on 500 points of the circle
(all of them training points, batch 10, Adam), and counts the page's redraws of the
decision regions (``window.playground.output.redraws``) over timed windows while
training runs.  Beside it, in the same page and the same windows, the browser's own
animation-frame rate: the ceiling, since the page draws at most once per animation
frame.  The target is 30 redraws per second.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

TARGET_FPS = 30.0
CASE = ("#data=circle&n=500&noise=0.05&test=0&seed=0&hidden=8,8&act=tanh,tanh&out=softmax"
        "&cost=cross_entropy&opt=adam&lr=0.01&batch=10&l2=0")
CHROMIUM = os.environ.get("CHAINRULE_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

# Counts animation frames in the page (installed after load; the page's own code is not
# changed for the benchmark).
COUNT_ANIMATION_FRAMES = """() => {
  window.benchFrames = 0;
  const tick = () => { window.benchFrames += 1; requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
}"""
SNAPSHOT = """() => [performance.now(), window.playground.output.redraws, window.benchFrames,
                     window.playground.epoch, window.playground.busyMs]"""


def measure(rounds: int, seconds: float) -> list[dict[str, float]]:
    from playwright.sync_api import sync_playwright

    from chainrule.playground import running

    out = []
    with running() as served, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1500, "height": 1100})
        page.goto(served.url + CASE)
        page.wait_for_function("() => window.playground && window.playground.frames > 0")
        page.evaluate(COUNT_ANIMATION_FRAMES)
        page.click("#play")
        page.wait_for_timeout(1000)  # warm up
        for _ in range(rounds):
            a = page.evaluate(SNAPSHOT)
            page.wait_for_timeout(int(seconds * 1000))
            b = page.evaluate(SNAPSHOT)
            dt = (b[0] - a[0]) / 1000
            redraws = b[1] - a[1]
            out.append({"redraws_per_s": redraws / dt, "animation_frames_per_s": (b[2] - a[2]) / dt,
                        "epochs_per_s": (b[3] - a[3]) / dt,
                        "page_ms_per_redraw": (b[4] - a[4]) / max(redraws, 1)})
        page.click("#play")
        browser.close()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=3.0, help="length of one window")
    parser.add_argument("--out", type=Path, default=None, help="also write the rounds as JSON")
    args = parser.parse_args(argv)
    rounds = measure(args.rounds, args.seconds)
    keys = ["redraws_per_s", "animation_frames_per_s", "epochs_per_s", "page_ms_per_redraw"]
    med = {k: statistics.median(r[k] for r in rounds) for k in keys}
    print("playground redraw rate: 2-8-8-2 tanh, circle, 500 training points, batch 10, Adam")
    print(f"{'':28}{'median':>10}{'min':>10}{'max':>10}")
    for k in keys:
        values = [r[k] for r in rounds]
        print(f"{k:28}{med[k]:10.1f}{min(values):10.1f}{max(values):10.1f}")
    ratio = med["redraws_per_s"] / med["animation_frames_per_s"]
    met = med["redraws_per_s"] >= TARGET_FPS
    print(f"redraws / animation frames: {ratio:.2f}; target {TARGET_FPS:g} redraws/s: "
          f"{'met' if met else 'NOT met'} ({med['redraws_per_s'] / TARGET_FPS:.2f}x)")
    if args.out is not None:
        args.out.write_text(json.dumps({"rounds": rounds, "median": med, "target": TARGET_FPS,
                                        "time": time.time()}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

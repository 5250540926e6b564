"""The playground end to end, in a real browser: Debian's Chromium driven by Playwright.

A server on 127.0.0.1 (a free port) serves one page per test.  Every wait is bounded;
every data set and every network is seeded.  Screenshots of each panel go to a temporary
folder (or to ``$CHAINRULE_SCREENSHOTS``, e.g. ``make screenshots`` for docs/images).
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import sync_playwright

from chainrule import load_model
from chainrule.data import load_dataset
from chainrule.playground.server import running
from playground_support import launch, not_blank

XOR = ("#data=xor&n=200&noise=0.05&test=0.3&seed=1&hidden=6,6&act=tanh,tanh&out=softmax"
       "&cost=cross_entropy&opt=adam&lr=0.01&batch=10&l2=0")
PANELS = ["panel-data", "panel-network", "panel-output", "panel-curves", "panel-meter",
          "panel-ledger", "panel-landscape"]
WAIT = 30_000  # ms, the longest any test waits for the page


@pytest.fixture(scope="module")
def served():
    with running() as s:
        yield s


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = launch(p)
        yield b
        b.close()


@pytest.fixture
def context(browser):
    ctx = browser.new_context(viewport={"width": 1500, "height": 1150}, accept_downloads=True)
    yield ctx
    ctx.close()


@pytest.fixture
def shots(tmp_path_factory):
    return tmp_path_factory.mktemp("screenshots")


def readme_picture(tmp_path_factory):
    """Where the README's picture goes: ``$CHAINRULE_SCREENSHOTS`` (make screenshots)."""
    folder = os.environ.get("CHAINRULE_SCREENSHOTS")
    path = Path(folder) if folder else tmp_path_factory.mktemp("readme")
    path.mkdir(parents=True, exist_ok=True)
    return path / "playground.png"


def open_page(context, served, hash_="", requests=None):
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    if requests is not None:
        page.on("request", lambda r: requests.append(r.url))
    page.goto(served.url + hash_)
    page.wait_for_function("() => window.playground && window.playground.frames > 0",
                           timeout=WAIT)
    page.errors = errors
    return page


def js(page, expression):
    return page.evaluate(f"() => {expression}")


def play_until(page, condition, timeout=WAIT):
    page.click("#play")
    page.wait_for_function(f"() => {condition}", timeout=timeout)
    page.click("#play")  # pause
    page.wait_for_function("() => !window.playground.playing", timeout=WAIT)
    page.wait_for_timeout(300)  # the paused frame and views


def numbers_in(text):
    return [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?", text)]


def test_xor_learns_and_its_ledger_is_the_librarys(context, served, shots, tmp_path):
    requests = []
    page = open_page(context, served, XOR, requests)
    play_until(page, "Number(document.getElementById('test-cost').textContent) < 0.1")
    test_cost = float(page.text_content("#test-cost"))
    assert 0 < test_cost < 0.1 and js(page, "window.playground.epoch") > 0

    page.locator("[data-param='W2[1,3]']").dispatch_event("click")
    page.check("#all-digits")
    page.wait_for_function("() => window.playground.ledger && "
                           "window.playground.ledger.param === 'W2[1,3]'", timeout=WAIT)
    page.wait_for_timeout(200)
    with page.expect_download() as d:
        page.click("#download")
    path = tmp_path / "xor.safetensors"
    d.value.save_as(path)
    model = load_model(path)  # the whole Model, as `chainrule predict` reads it
    net = model.network
    assert np.array_equal(net.params, js(page, "window.playground.params"))
    assert model.dataset == "xor_blobs" and model.class_names == ["same_sign", "opposite_sign"]
    # its predictions are the page network's classes, and right on the page's test points
    ds = load_dataset("xor_blobs", n_samples=200, noise=0.05, random_state=1)
    predicted = model.predict(ds.X)
    assert np.array_equal(predicted, net.predict(ds.X).argmax(axis=1))
    test = np.array(js(page, "window.playground.data.test"), bool)
    labels = np.array(js(page, "window.playground.data.labels"))
    assert np.array_equal(labels, ds.labels)
    assert np.mean(predicted[test] == labels[test]) > 0.9

    # the example, as the page shows it, is a row of the library's data set
    intro = page.text_content("#ledger p.note")
    x = numbers_in(intro.split("x = ")[1].split(")")[0])
    y = numbers_in(intro.split("y = ")[1].split(")")[0])
    assert any(np.array_equal(row, x) for row in ds.X)
    chain = net.chain_rule(np.array(x), np.array(y), "W2[1,3]")
    rows = page.locator("#ledger-table tr.factor")
    assert rows.count() == len(chain.factors)
    for i, f in enumerate(chain.factors):
        row = rows.nth(i)
        assert row.locator("td").nth(0).text_content() == f.symbol
        shown = [float(t) for t in row.locator("td.value [data-value]").all_text_contents()]
        np.testing.assert_allclose(shown, f.value.ravel(), rtol=0, atol=1e-12)
    checks = {k: float(page.text_content(f"#ledger-table tr[data-check={k}] td.value"))
              for k in ("product", "backprop", "numeric", "mean", "batch_backprop")}
    assert abs(checks["product"] - chain.value) <= 1e-12
    assert abs(checks["backprop"] - chain.backprop) <= 1e-12
    assert abs(checks["numeric"] - chain.backprop) <= 1e-6
    assert abs(checks["mean"] - checks["batch_backprop"]) <= 1e-12

    for panel in PANELS[:-1]:
        page.locator(f"#{panel}").screenshot(path=shots / f"{panel}.png")
        not_blank(shots / f"{panel}.png")
    # nothing was fetched from anywhere but the playground itself
    assert requests and all(u.startswith(served.url) for u in requests), requests
    assert page.errors == []


def test_the_landscape_draws_with_the_live_path(context, served, shots, tmp_path_factory):
    page = open_page(context, served, XOR + "&px=W1[0,0]&py=b1[0]&sel=W2[1,3]&ex=2")
    page.wait_for_function("() => window.playground.landscape.land !== null", timeout=WAIT)
    land = js(page, "window.playground.landscape.land")
    assert (land["param_x"], land["param_y"]) == ("W1[0,0]", "b1[0]") and land["n"] == 51
    assert len(js(page, "window.playground.landscape.path")) == 1
    play_until(page, "window.playground.landscape.path.length > 40")
    path = np.array(js(page, "window.playground.landscape.path"))
    assert np.ptp(path, axis=0).max() > 0  # training moved the two parameters
    params = js(page, "window.playground.params")
    names = js(page, "window.playground.net.names")
    assert path[-1].tolist() == [params[names.index("W1[0,0]")], params[names.index("b1[0]")]]
    page.locator("#panel-landscape").screenshot(path=shots / "panel-landscape.png")
    not_blank(shots / "panel-landscape.png", min_colours=30)
    assert js(page, "window.playground.ledger.param") == "W2[1,3]"
    # a click on a training point shows its chain rule
    x, y = js(page, "(() => { const d = window.playground.data, o = window.playground.output;"
                    " const i = d.example.indexOf(7); return [o.sx(d.points[i][0]),"
                    " o.sy(d.points[i][1])]; })()")
    box = page.locator("#regions").bounding_box()
    page.locator("#regions").click(position={"x": x * box["width"] / 360,
                                             "y": y * box["height"] / 360})
    page.wait_for_function("() => window.playground.ledger.example === 7", timeout=WAIT)
    assert page.input_value("#example") == "7" and "ex=7" in js(page, "location.hash")
    picture = readme_picture(tmp_path_factory)
    page.screenshot(path=picture)
    not_blank(picture, min_colours=100)
    assert page.errors == []


def test_a_csv_upload_trains_and_a_bad_one_is_explained(context, served, tmp_path):
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (80, 2))
    good = tmp_path / "pets.csv"
    good.write_text("width,height,kind\n" + "".join(
        f"{a:.4f},{b:.4f},{'cat' if a * b > 0 else 'dog'}\n" for a, b in X))
    bad = tmp_path / "broken.csv"
    bad.write_text("width,height,kind\n0.1,0.2,cat\n0.3,tall,dog\n")
    page = open_page(context, served, XOR)
    page.set_input_files("#csv-file", str(bad))
    page.wait_for_function("() => !document.getElementById('message').hidden", timeout=WAIT)
    message = page.text_content("#message")
    assert "broken.csv" in message and "row 3" in message and "height" in message
    page.set_input_files("#csv-file", str(good))  # the server kept serving
    page.wait_for_function("() => window.playground.data.name === 'pets'", timeout=WAIT)
    assert js(page, "window.playground.data.classes") == ["cat", "dog"]
    assert page.input_value("#target") == "kind"
    assert "data=csv" in js(page, "location.hash")
    page.click("#step")
    page.wait_for_function("() => window.playground.epoch === 1", timeout=WAIT)
    assert page.errors == []


def test_a_shared_url_opens_the_same_run(context, served):
    page = open_page(context, served, XOR)
    play_until(page, "window.playground.epoch >= 30")
    url = js(page, "location.href")
    epoch = js(page, "window.playground.epoch")
    assert f"epoch={epoch}" in url
    params = js(page, "window.playground.params")
    other = context.new_page()
    other.goto(url)
    other.wait_for_function(f"() => window.playground && window.playground.epoch === {epoch}"
                            " && !window.playground.playing", timeout=WAIT)
    other.wait_for_timeout(200)
    assert js(other, "window.playground.params") == params
    for field in ("#data", "#lr", "#opt", "#cost", "#batch"):
        assert other.input_value(field) == page.input_value(field)


def test_a_downloaded_model_loads_back_into_a_page(context, served, tmp_path):
    page = open_page(context, served, XOR)
    play_until(page, "window.playground.epoch >= 5")
    with page.expect_download() as d:
        page.click("#download")
    model = tmp_path / "model.safetensors"
    d.value.save_as(model)
    fresh = open_page(context, served)  # the circle, other weights
    assert js(fresh, "window.playground.params") != js(page, "window.playground.params")
    fresh.set_input_files("#model-file", str(model))
    fresh.wait_for_function("() => window.playground.net.loaded === 'model.safetensors'",
                            timeout=WAIT)
    fresh.wait_for_timeout(300)
    loaded = load_model(model)
    assert js(fresh, "window.playground.params") == loaded.network.params.tolist()
    assert loaded.training["playground"]["data"] == "xor" and loaded.task == "classification"
    assert "Loaded model.safetensors" in fresh.text_content("#message")
    assert fresh.input_value("#data") == "xor"
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\x00" * 64)
    fresh.set_input_files("#model-file", str(bad))
    fresh.wait_for_function("() => document.getElementById('message').textContent"
                            ".includes('bad.safetensors')", timeout=WAIT)


def test_each_tab_has_its_own_run_and_closing_one_stops_it(context, served):
    for _ in range(200):  # the tabs of earlier tests close as their contexts do
        if not served.sessions.live:
            break
        time.sleep(0.05)
    before = len(served.sessions.live)
    assert before == 0
    a = open_page(context, served, XOR)
    b = open_page(context, served, "#data=gaussians&hidden=4&act=tanh")
    a.click("#play")
    a.wait_for_function("() => window.playground.epoch > 3", timeout=WAIT)
    assert js(b, "window.playground.epoch") == 0  # b's run did not move
    assert len(served.sessions.live) == before + 2
    busy = [s for s in served.sessions.live.values() if s.busy]
    assert len(busy) == 1
    a.close()
    b.wait_for_timeout(100)
    for _ in range(100):
        if len(served.sessions.live) == before + 1:
            break
        b.wait_for_timeout(50)
    assert len(served.sessions.live) == before + 1
    assert not any(s.busy for s in served.sessions.live.values())
    b.click("#step")
    b.wait_for_function("() => window.playground.epoch === 1", timeout=WAIT)


def test_a_short_link_takes_its_data_sets_preset(context, served):
    page = open_page(context, served, "#data=heart&epoch=200")
    page.wait_for_function("() => window.playground.epoch === 200 && !window.playground.playing",
                           timeout=WAIT)
    assert js(page, "window.playground.net.sizes") == [1, 6, 7, 2]
    assert js(page, "window.playground.net.activations") == ["logistic"] * 3
    assert js(page, "window.playground.data.kind") == "curve"
    page.select_option("#data", "not")
    page.wait_for_function("() => window.playground.data.name === 'not_gate'", timeout=WAIT)
    page.select_option("#cost", "binary_cross_entropy")  # its output σ comes along
    page.wait_for_function("() => window.playground.net.cost === 'binary_cross_entropy'",
                           timeout=WAIT)
    assert page.input_value("#out") == "logistic"
    assert js(page, "window.playground.net.activations") == ["logistic"]
    assert page.is_hidden("#message") and page.errors == []

"""Simulations from the dashboard: a shipped scenario run through the API gives the run that
``sumchain.sim.simulate`` gives, on a chain of its own (the dashboard's is not touched), one at a
time, with bad requests answered as error JSON; and the page runs one in Chromium and draws it."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import Browser, Page, expect

import sumchain.sim
from sumchain import EmbeddedChain
from sumchain.sim import Run, load_scenario, simulate
from sumchain.sim.html import write_html
from sumchain.web.app import create_app
from sumchain.web.simulations import KEPT, Simulations
from tests.web.browser import PHONE, UNLABELLED, WIDER_THAN, chromium_available
from tests.web.conftest import Site, threaded_server

LABEL_HEIGHT = "() => document.querySelector('#run-chart text').getBoundingClientRect().height"
"""JavaScript: the height on screen of the chart's first label, in pixels."""


def finished(site: Site, ident: str) -> dict[str, Any]:
    """The simulation once it is done or failed (polled as the page does)."""
    for _ in range(600):
        job: dict[str, Any] = site.get(f"/api/simulations/{ident}").json()
        if job["state"] in ("done", "failed"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"simulation {ident} still {job['state']} after 60 s")


def test_a_scenario_run_through_the_api_is_the_run_of_simulate(site: Site) -> None:
    listed = site.get("/api/simulations").json()
    smoke = next(s for s in listed["scenarios"] if s["name"] == "smoke")
    assert (smoke["model"], smoke["mechanism"], smoke["days"]) == ("sparse perceptron", "deposit-refund-take", 4)
    head = site.chain.block_number()
    started = site.post("/api/simulations", {"scenario": "smoke", "seed": 2, "days": 1.5})
    assert started.status_code == 202 and started.json()["state"] in ("loading", "running", "done")
    job = finished(site, started.json()["id"])
    assert job["state"] == "done" and job["error"] is None and job["day"] == 1.5
    assert job["run"] == simulate(load_scenario("smoke"), seed=2, days=1.5).to_json()
    assert job["transactions"] == job["run"]["transactions"] > 0
    assert site.chain.block_number() == head  # the dashboard's chain did not take part
    ran = site.get("/api/simulations").json()["simulations"]
    assert [(s["id"], s["state"]) for s in ran][-1] == (job["id"], "done") and "run" not in ran[-1]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"scenario": "nope"}, "scenario must be one of"),
        ({}, "scenario must be one of"),
        ({"scenario": "smoke", "days": 0}, "days must be a number from 0.01 to the scenario's 4, got 0"),
        ({"scenario": "smoke", "days": 0.001}, "days must be a number from 0.01"),
        ({"scenario": "smoke", "days": 4.5}, "to the scenario's 4, got 4.5"),
        ({"scenario": "smoke", "days": "2"}, "days must be a number"),
        ({"scenario": "smoke", "seed": -1}, "seed must be a whole number from 0 to 2**53 - 1, got -1"),
        ({"scenario": "smoke", "seed": 2**53}, "seed must be a whole number from 0 to 2**53 - 1"),
        ({"scenario": "x" * 5000}, "got '" + "x" * 56 + "..."),  # cut short
        ({"scenario": "smoke", "seed": 1.5}, "seed must be a whole number"),
        ({"scenario": "smoke", "seed": True}, "seed must be a whole number"),
    ],
)
def test_a_bad_request_is_error_json_and_runs_nothing(site: Site, body: dict[str, Any], message: str) -> None:
    before = len(site.get("/api/simulations").json()["simulations"])
    answer = site.post("/api/simulations", body)
    assert answer.status_code == 400 and message in answer.json()["error"]
    assert len(site.get("/api/simulations").json()["simulations"]) == before


def test_an_unknown_simulation_is_404(site: Site) -> None:
    answer = site.get("/api/simulations/0123456789abcdef")
    assert answer.status_code == 404 and "a restarted server forgets them" in answer.json()["error"]


def test_one_simulation_runs_at_a_time_and_its_run_comes_once_done(monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()

    def held(*args: Any, **options: Any) -> Any:  # the real run, once the test lets it go
        release.wait(30)
        return simulate(*args, **options)

    monkeypatch.setattr(sumchain.sim, "simulate", held)
    with threaded_server(create_app(EmbeddedChain())) as url:
        first = requests.post(f"{url}/api/simulations", json={"scenario": "smoke", "days": 1}, timeout=30).json()
        second = requests.post(f"{url}/api/simulations", json={"scenario": "smoke-points", "days": 1}, timeout=30)
        early = requests.get(f"{url}/api/simulations/{first['id']}/run", timeout=30)
        listed = requests.get(f"{url}/api/simulations", timeout=30).json()["simulations"]
        release.set()
        site = Site(url, EmbeddedChain(), "", "", "")
        done = finished(site, first["id"])
        run = requests.get(f"{url}/api/simulations/{first['id']}/run", timeout=30)
    assert second.status_code == 409 and "another simulation is running: follow it" in second.json()["error"]
    assert [job["id"] for job in listed] == [first["id"]] and listed[0]["state"] in ("loading", "running")
    assert early.status_code == 409 and "its run is there once it is done" in early.json()["error"]
    assert done["state"] == "done" and run.json() == done["run"]
    assert run.headers["content-disposition"] == 'attachment; filename="smoke-seed0.json"'
    assert Run.from_json(run.json()).to_json() == done["run"]  # what sumchain simulate combine reads


def test_the_server_keeps_the_last_simulations_only() -> None:
    simulations = Simulations()
    started = []
    for _ in range(KEPT + 3):
        started.append(simulations.start({"scenario": "smoke", "days": 0.01}))
        for _ in range(300):  # one at a time: wait for it to end
            if not started[-1].running:
                break
            time.sleep(0.02)
        assert started[-1].state == "done"
    assert [job.id for job in simulations.all()] == [job.id for job in started[-KEPT:]]


@pytest.mark.skipif(not chromium_available(), reason="needs Debian's chromium at /usr/bin/chromium")
def test_the_page_runs_a_scenario_and_draws_it(page: Page, site: Site) -> None:
    page.goto(site.url + "/simulate")
    expect(page.locator("body[data-ready='1']")).to_be_attached()
    assert page.evaluate(UNLABELLED) == []
    page.select_option("#sim-scenario", "attacks")
    expect(page.locator("#sim-about")).to_contain_text("sybil (sybil)")
    assert page.input_value("#sim-days") == "5"  # the scenario's
    page.fill("#sim-days", "1.5")
    page.fill("#sim-seed", "4")
    page.get_by_role("button", name="Run").click()
    status = page.locator("#sim-status")
    expect(status).to_have_attribute("data-state", "done", timeout=60_000)
    expect(status).to_contain_text("Simulated attacks: 1.5 days")
    run = simulate(load_scenario("attacks"), seed=4, days=1.5)
    expect(page.locator("#run-result tbody tr")).to_have_count(len(run.agents))
    expect(page.locator("#run-chart polyline")).to_have_count(2 + len(run.agents))
    final = f"{100 * run.accuracy[-1]:.1f}%"
    expect(page.locator("#run-result")).to_contain_text(f"→ {final}")
    honest = run.agents[0]
    expect(page.locator("#run-result tbody tr").first).to_contain_text(f"{honest.balance[-1]:.1f}%")
    assert page.evaluate(LABEL_HEIGHT) > 10
    page.set_viewport_size(PHONE)
    assert page.evaluate(WIDER_THAN, PHONE["width"]) == []
    page.wait_for_function(f"({LABEL_HEIGHT})() > 10", timeout=5_000)  # drawn again at the phone's width, not shrunk


@pytest.mark.skipif(not chromium_available(), reason="needs Debian's chromium at /usr/bin/chromium")
def test_another_visitor_follows_the_running_simulation(
    page: Page, browser: Browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()

    def held(*args: Any, **options: Any) -> Any:
        release.wait(30)
        return simulate(*args, **options)

    monkeypatch.setattr(sumchain.sim, "simulate", held)
    with threaded_server(create_app(EmbeddedChain())) as url:
        page.goto(url + "/simulate")
        expect(page.locator("body[data-ready='1']")).to_be_attached()
        page.select_option("#sim-scenario", "smoke")
        page.fill("#sim-days", "1")
        page.get_by_role("button", name="Run").click()
        expect(page.locator("#sim-status")).to_have_attribute("data-state", "loading")
        other = browser.new_context().new_page()
        other.goto(url + "/simulate")
        expect(other.locator("#sim-status")).to_have_attribute("data-state", "loading")
        expect(other.get_by_role("button", name="Run")).to_be_disabled()
        release.set()
        for each in (page, other):
            expect(each.locator("#sim-status")).to_have_attribute("data-state", "done", timeout=30_000)
            expect(each.locator("#run-result")).to_contain_text("smoke, seed 0: 1 days")
        expect(other.get_by_role("button", name="Run")).to_be_enabled()
        other.context.close()


def test_a_run_that_fails_ends_failed_in_one_line_and_frees_the_slot(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any, **options: Any) -> Any:
        raise RuntimeError("boom at http://user:key@node.example/v3/SECRET\nline two")

    monkeypatch.setattr(sumchain.sim, "simulate", broken)
    simulations = Simulations()
    job = simulations.start({"scenario": "smoke", "days": 1})
    for _ in range(300):
        if not job.running:
            break
        time.sleep(0.02)
    assert (job.state, job.error) == ("failed", "unexpected error (RuntimeError): boom at http://node.example/…")
    monkeypatch.undo()
    assert simulations.start({"scenario": "smoke", "days": 0.01}).state in ("loading", "running", "done")


@pytest.mark.skipif(not chromium_available(), reason="needs Debian's chromium at /usr/bin/chromium")
def test_a_saved_runs_tooltip_shows_names_as_text(page: Page, tmp_path: Path) -> None:
    """The figure a run file gives (``simulate combine`` reads any): its hover box writes names, never markup."""
    run = simulate(load_scenario("smoke"), days=0.5)
    run.agents[0].name = '<img src=x id=injected onerror="document.title=1">'
    path = write_html([run], tmp_path / "run.html")
    page.goto(path.as_uri())
    box = page.locator("#plot").bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    tip = page.locator("#tip")
    expect(tip).to_be_visible()
    expect(tip).to_contain_text('<img src=x id=injected onerror="document.title=1"> (honest) balance')
    assert page.locator("#injected").count() == 0

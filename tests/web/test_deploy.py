"""The deploy page: a reference-format model file uploaded from the page, chunked deployments
followed across a reload, and bad uploads shown on the page with nothing sent."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Locator, Page, expect

from sumchain import SharedModel, SparsePerceptron
from sumchain.models.reference_file import model_to_spec
from sumchain.web.deployments import MAX_UPLOAD
from tests.cli.test_audit_cli import MOOD
from tests.web.browser import UNLABELLED, Console, chromium_available
from tests.web.conftest import Site

pytestmark = pytest.mark.skipif(not chromium_available(), reason="needs Debian's chromium at /usr/bin/chromium")
BIG_FEATURES = 300_000
"""A sparse perceptron this wide takes about 90 chunks: long enough to reload the page mid-way."""


def _deploy_page(page: Page, site: Site) -> None:
    page.goto(site.url + "/deploy")
    expect(page.locator("body[data-ready='1']")).to_be_attached()
    page.select_option("#account", "0")


def _deploy_file(page: Page, site: Site, model_file: Path, name: str | None = None) -> Locator:
    """Deploy ``model_file`` from the deploy page (open, as account 0); the status line that follows it."""
    page.check("input[name=source][value=file]")
    page.set_input_files("#model-file", str(model_file))
    if name is not None:
        page.fill("#deploy-name", name)
    page.get_by_role("button", name="Deploy").click()
    return page.locator("#deploy-status")


def test_deploy_a_reference_file_from_the_page(page: Page, site: Site, tmp_path: Path) -> None:
    model_file = tmp_path / "mood.json"
    model_file.write_text(json.dumps(MOOD))
    _deploy_page(page, site)
    assert page.evaluate(UNLABELLED) == []
    page.fill("#refund-wait", "2h")
    page.check("input[name=source][value=file]")
    page.set_input_files("#model-file", str(model_file))
    page.fill("#deploy-name", "mood")
    page.get_by_role("button", name="Deploy").click()
    status = page.locator("#deploy-status")
    expect(status).to_have_attribute("data-state", "done", timeout=30_000)
    expect(status).to_contain_text("Deployed mood")
    page.get_by_role("link", name="Open the model").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("mood")
    address = page.url.rsplit("/", 1)[1]
    model = SharedModel(site.chain, address)
    assert model.metadata.class_names == ("sad", "neutral", "happy") and model.mechanism.refund_wait == 7_200
    assert model.predict([4]) == 2
    assert "mood" in [m["name"] for m in requests.get(site.url + "/api/models", timeout=30).json()["models"]]


def test_the_progress_of_a_chunked_deploy_survives_a_reload(page: Page, site: Site, tmp_path: Path) -> None:
    mirror = SparsePerceptron.from_weights([(i * 7) % 11 - 5 for i in range(BIG_FEATURES)])
    model_file = tmp_path / "wide.json"
    model_file.write_text(json.dumps(model_to_spec(mirror)))
    _deploy_page(page, site)
    status = _deploy_file(page, site, model_file, "wide")
    expect(page.locator("#error")).to_be_hidden()
    expect(status).to_have_attribute("data-state", "running", timeout=30_000)
    ident = status.get_attribute("data-deployment")
    progress = requests.get(f"{site.url}/api/deployments/{ident}", timeout=30).json()
    page.reload()
    expect(page.locator("body[data-ready='1']")).to_be_attached()
    assert progress["state"] == "running" and progress["words_done"] < progress["words_total"]
    expect(status).to_have_attribute("data-deployment", ident or "")
    expect(status).to_have_attribute("data-state", "done", timeout=120_000)
    done = requests.get(f"{site.url}/api/deployments/{ident}", timeout=30).json()
    assert done["words_done"] == done["words_total"] == len(mirror.to_words())
    loads = site.chain.transactions_to(done["address"])
    assert done["transactions"] == 1 + 1 + len(loads) > 10  # the creation, the listing, the loads
    assert SharedModel(site.chain, done["address"]).mirror().to_words() == mirror.to_words()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"type": "random forest", "weights": [1]}', "unknown model type 'random forest'"),
        ("{not json", "is not valid JSON"),
        ("\x80\x03cpickle", "is not valid JSON"),
    ],
    ids=["unknown type", "malformed", "a pickle"],
)
def test_a_bad_model_file_is_shown_and_nothing_is_sent(
    page: Page, site: Site, console: Console, tmp_path: Path, text: str, message: str
) -> None:
    console.expect("status of 400")
    model_file = tmp_path / "bad.json"
    model_file.write_text(text)
    before = site.chain.block_number()
    _deploy_page(page, site)
    _deploy_file(page, site, model_file)
    expect(page.locator("#error")).to_contain_text(message)
    assert site.chain.block_number() == before


def test_an_oversized_upload_is_refused(site: Site) -> None:
    before = site.chain.block_number()
    body = json.dumps({"source": "file", "account": 0, "file_text": "1" * MAX_UPLOAD})
    answer = requests.post(
        site.url + "/api/deployments", data=body, headers={"Content-Type": "application/json"}, timeout=60
    )
    assert answer.status_code == 413 and "at most" in answer.json()["error"]
    assert site.chain.block_number() == before


def test_a_deploy_stopped_half_way_is_resumed_not_repeated(page: Page, site: Site, tmp_path: Path) -> None:
    """A deploy that stopped after two chunks (as a killed server or ``sumchain import`` leaves it,
    remembered in the chain file): the same deployment from the page finishes that model."""
    from sumchain.unfinished import ChainNotes, fingerprint, remember_unfinished, unfinished_deploys
    from sumchain.web.deployments import model_from_request
    from tests.helpers import deploy_interrupted

    spec = model_to_spec(SparsePerceptron.from_weights([(i * 5) % 9 - 4 for i in range(60_000)]))
    model_file = tmp_path / "half.json"
    model_file.write_text(json.dumps(spec))
    mirror, metadata, mechanism = model_from_request(
        {"source": "file", "file_text": model_file.read_text(), "name": "half"}
    )
    partial, _ = deploy_interrupted(site.chain, mirror, chunks=2, mechanism=mechanism, metadata=metadata, sender=0)
    known = fingerprint(mirror, metadata, mechanism, site.chain.accounts[0])
    remember_unfinished(ChainNotes(site.chain), known, partial.address)
    loaded = partial.words_loaded()
    assert 0 < loaded < len(mirror.to_words())
    _deploy_page(page, site)
    status = _deploy_file(page, site, model_file, "half")
    expect(status).to_have_attribute("data-state", "done", timeout=60_000)
    expect(status).to_contain_text(f"resumed an unfinished upload at {loaded:,} words")
    done = requests.get(f"{site.url}/api/deployments/{status.get_attribute('data-deployment')}", timeout=30).json()
    assert (done["address"], done["resumed_from"]) == (partial.address, loaded)
    assert SharedModel(site.chain, partial.address).mirror().to_words() == mirror.to_words()
    assert known not in unfinished_deploys(ChainNotes(site.chain))
    names = [m["name"] for m in requests.get(site.url + "/api/models", timeout=30).json()["models"]]
    assert names.count("half") == 1


def test_a_points_model_from_the_page_and_its_leaderboard(page: Page, site: Site, tmp_path: Path) -> None:
    """Deployed with Points from the page: contributing is free, a validation after the wait earns a point."""
    model_file = tmp_path / "mood.json"
    model_file.write_text(json.dumps(MOOD))
    _deploy_page(page, site)
    page.select_option("#deploy-mechanism", "points")
    page.fill("#refund-wait", "1h")
    status = _deploy_file(page, site, model_file, "mood points")
    expect(status).to_have_attribute("data-state", "done", timeout=30_000)
    page.get_by_role("link", name="Open the model").click()
    expect(page.locator("body[data-ready='1']")).to_be_attached()
    expect(page.locator("#deposit-now")).to_have_text("Deposit now: 0 ETH")
    page.select_option("#account", "2")
    page.fill("#add-input", "4")
    page.select_option("#add-label", "2")
    page.get_by_role("button", name="Add with deposit").click()
    expect(page.locator("#notice")).to_contain_text("Added contribution #1")
    page.select_option("#advance-by", "3600")
    page.get_by_role("button", name="Advance time").click()
    expect(page.locator("#notice")).to_have_text("Chain time advanced.")
    page.get_by_role("button", name="Refund #1").click()
    expect(page.locator("#notice")).to_contain_text("for contribution #1")
    leader = page.get_by_role("table", name="Leaderboard").locator("tbody tr").first
    expect(leader.locator("td").nth(1)).to_have_text("1")  # one point
    model = SharedModel(site.chain, page.url.rsplit("/", 1)[1])
    assert model.mechanism.title == "Points" and [s.score for s in model.standings()] == [1]


def test_one_name_asked_by_several_accounts_at_once_is_deployed_once(site: Site) -> None:
    """Four accounts deploy the same model under one name at once: one deploys it, the others are
    refused before they send anything (not handed the first one's contract as theirs)."""
    spec = model_to_spec(SparsePerceptron.from_weights([(i * 3) % 7 - 3 for i in range(60_000)]))
    body = {"source": "file", "file_text": json.dumps(spec), "name": "race"}
    with ThreadPoolExecutor(4) as pool:
        answers = list(
            pool.map(
                lambda account: requests.post(
                    site.url + "/api/deployments", json={**body, "account": account}, timeout=60
                ),
                range(3, 7),
            )
        )
    started = [k for k, answer in enumerate(answers) if answer.status_code == 202]
    assert len(started) == 1, [answer.text for answer in answers]
    assert all(answers[k].status_code in (400, 409) for k in range(4) if k not in started)
    ident = answers[started[0]].json()["id"]
    deadline = time.monotonic() + 120
    while (job := requests.get(f"{site.url}/api/deployments/{ident}", timeout=30).json())["state"] == "running":
        assert time.monotonic() < deadline, job
        time.sleep(0.2)
    assert job["state"] == "done" and job["resumed_from"] is None, job
    assert SharedModel(site.chain, job["address"]).owner == site.chain.accounts[3 + started[0]]
    names = [m["name"] for m in requests.get(site.url + "/api/models", timeout=30).json()["models"]]
    assert names.count("race") == 1

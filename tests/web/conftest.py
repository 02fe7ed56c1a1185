"""A dashboard served by a real ``sumchain serve`` process on an embedded chain file, and real Chromium.

The chain file holds two listed models: a text model (the sample sentiment perceptron over the
IMDB vocabulary, as ``sumchain deploy`` trains it) and a features model (ten weights, classes
"no" and "yes"). The server is its own process (uvicorn, as users run it); the tests read the
same file through their own :class:`EmbeddedChain` to check what was or was not sent.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from subprocess import TimeoutExpired

import numpy as np
import pytest
import requests
from playwright.sync_api import Browser, Page, sync_playwright
from starlette.types import ASGIApp

from sumchain import DepositRefundTake, EmbeddedChain, ModelMetadata, SharedModel, SparsePerceptron
from sumchain.chain.accounts import dev_addresses
from sumchain.chain.base import Chain
from sumchain.incentives import DAY
from sumchain.registry import Registry
from tests.helpers import start_sumchain
from tests.web.browser import CHROMIUM, DESKTOP, Console

FEATURE_WEIGHTS = [3, -3, 2, -2, 1, -1, 0, 0, 5, -5]
"""Feature 0 says yes, feature 1 says no, ..."""
_OWNER = dev_addresses(1)[0]
DRT = DepositRefundTake(cost_weight=10**15, refund_wait=DAY, owner_claim_wait=5 * DAY, any_claim_wait=9 * DAY)


@dataclass(frozen=True)
class Site:
    """A running dashboard: its URL, the chain file it serves, and the two models' addresses."""

    url: str
    chain: EmbeddedChain
    text_model: str
    features_model: str
    image_model: str

    def get(self, path: str) -> requests.Response:
        return requests.get(self.url + path, timeout=30)

    def post(self, path: str, body: object = None, **options: object) -> requests.Response:
        if body is not None:
            options["json"] = body
        return requests.post(self.url + path, timeout=30, **options)  # type: ignore[arg-type]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def deploy_models(chain: Chain, registry: Registry | None = None) -> tuple[str, str]:
    """The text model and the features model, listed in the registry (by default the chain's own)."""
    from sumchain.data import tiny_reviews
    from sumchain.encoders import IMDB_VOCABULARY, encoder_for

    texts, labels = tiny_reviews()
    encoder = encoder_for(IMDB_VOCABULARY)
    mirror = SparsePerceptron(n_features=encoder.n_features).fit([encoder.encode(t) for t in texts], labels)
    meta = ModelMetadata(
        name="movie sentiment",
        description="Sparse perceptron over the IMDB vocabulary.",
        n_features=encoder.n_features,
        class_names=("negative", "positive"),
        encoder=IMDB_VOCABULARY,
    )
    text = SharedModel.deploy(chain, mirror, mechanism=DRT, metadata=meta, registry=registry, sender=_OWNER)
    return text.address, deploy_features_model(chain, registry).address


def deploy_features_model(chain: Chain, registry: Registry | None = None, name: str = "toy features") -> SharedModel:
    """A sparse perceptron of :data:`FEATURE_WEIGHTS`, under Deposit, Refund and Take, named ``name``."""
    toy = SparsePerceptron.from_weights(FEATURE_WEIGHTS, intercept=0, learning_rate=2)
    meta = ModelMetadata(name=name, n_features=10, class_names=("no", "yes"), description="Ten weights.")
    return SharedModel.deploy(chain, toy, mechanism=DRT, metadata=meta, registry=registry, sender=_OWNER)


SCORED = [("a wonderful, brilliant movie", 1), ("awful boring mess", 0), ("awful boring mess", 1)]
"""The test set whose score the text model's owner publishes: the model gets two of three right."""


def publish_text_score(chain: EmbeddedChain) -> None:
    """The text model's owner publishes its score on :data:`SCORED` in the chain's registry."""
    registry = Registry.configured(chain)
    assert registry is not None
    model = registry.model("movie sentiment")
    samples = [model.encode(text) for text, _ in SCORED]
    registry.publish_score(model.address, samples, [label for _, label in SCORED], sender=_OWNER)


def ink_picture(top: bool, size: int = 16) -> np.ndarray:
    """A white square whose top (or bottom) half is inked black."""
    picture = np.full((size, size), 255, dtype=np.uint8)
    rows = slice(0, size // 2) if top else slice(size // 2, size)
    picture[rows] = 0
    return picture


def deploy_image_model(chain: Chain) -> str:
    """A nearest centroid over a 2x2 pixel grid that tells inked tops from inked bottoms, listed as 'ink'."""
    from sumchain.encoders import PixelEncoder
    from sumchain.models import NearestCentroid

    encoder = PixelEncoder(width=2, height=2)
    mirror = NearestCentroid(n_features=4).fit(encoder.transform([ink_picture(True), ink_picture(False)]), [0, 1])
    metadata = encoder.metadata("ink", class_names=["top", "bottom"])
    return SharedModel.deploy(chain, mirror, mechanism=DRT, metadata=metadata, sender=_OWNER).address


@contextmanager
def threaded_server(app: ASGIApp) -> Iterator[str]:
    """``app`` on uvicorn in a thread of this process, on a free port, until the block ends: its URL."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{server.config.port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


@contextmanager
def serving(cwd: Path, *options: str, port: int | None = None, host: str = "127.0.0.1") -> Iterator[str]:
    """``sumchain OPTIONS serve`` on ``host`` and ``port`` (by default a free one) until the block
    ends: its URL."""
    port = port or free_port()
    process = start_sumchain(cwd, *options, "serve", "--host", host, "--port", str(port))
    url = f"http://{host}:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(url + "/api/chain", timeout=5).raise_for_status()
                break
            except requests.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    out, err = process.communicate(timeout=5)
                    raise AssertionError(f"sumchain serve did not start: {out}{err}") from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.communicate(timeout=15)
        except TimeoutExpired:
            process.kill()
            process.communicate()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A dashboard on a fresh chain file with the two models (one per test module)."""
    folder = tmp_path_factory.mktemp("dashboard")
    path = folder / "chain.sqlite"
    chain = EmbeddedChain(path)
    text_model, features_model = deploy_models(chain)
    image_model = deploy_image_model(chain)
    publish_text_score(chain)
    with serving(folder, "--chain", f"embedded:{path}") as url:
        yield Site(url, chain, text_model, features_model, image_model)
    chain.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's headless Chromium, driven by Playwright (its own browsers are never downloaded)."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM))
        yield launched
        launched.close()


@pytest.fixture
def console() -> Console:
    """The console errors of :func:`page`; a test announces the ones it provokes with ``console.expect``."""
    return Console()


@pytest.fixture
def page(browser: Browser, console: Console) -> Iterator[Page]:
    """A desktop-wide page; the test fails if it logged a console error it did not announce."""
    context = browser.new_context(viewport=DESKTOP)
    opened = context.new_page()
    console.attach(opened)
    yield opened
    context.close()
    assert console.unexpected() == []

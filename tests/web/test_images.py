"""Image models on the dashboard: an image file chosen in the page is the sample, for a
prediction and a contribution; a file that is no image is an error with nothing sent."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from sumchain import SharedModel
from tests.web.browser import UNLABELLED, Console, chromium_available
from tests.web.conftest import Site, ink_picture

pytestmark = pytest.mark.skipif(not chromium_available(), reason="needs Debian's chromium at /usr/bin/chromium")


def _png(folder: Path, *, top: bool) -> Path:
    path = folder / ("top.png" if top else "bottom.png")
    Image.fromarray(ink_picture(top, size=32)).save(path)
    return path


def test_predict_and_add_an_image(page: Page, site: Site, tmp_path: Path) -> None:
    page.goto(f"{site.url}/models/{site.image_model}")
    expect(page.locator("body[data-ready='1']")).to_be_attached()
    assert page.evaluate(UNLABELLED) == []
    page.set_input_files("#predict-input", str(_png(tmp_path, top=False)))
    page.get_by_role("button", name="Predict").click()
    expect(page.locator("#prediction")).to_have_text("Prediction: bottom (class 1)")
    page.select_option("#account", "3")
    page.set_input_files("#add-input", str(_png(tmp_path, top=True)))
    page.select_option("#add-label", "0")
    page.get_by_role("button", name="Add with deposit").click()
    expect(page.locator("#notice")).to_contain_text("Added contribution #1")
    model = SharedModel(site.chain, site.image_model)
    [added] = model.contributions(3)
    assert added.label == 0 and list(added.data) == model.encode(_png(tmp_path, top=True))


def test_a_file_that_is_no_image_is_refused(page: Page, site: Site, console: Console, tmp_path: Path) -> None:
    console.expect("status of 400")
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    before = site.chain.block_number()
    page.goto(f"{site.url}/models/{site.image_model}")
    expect(page.locator("body[data-ready='1']")).to_be_attached()
    page.set_input_files("#add-input", str(text))
    page.get_by_role("button", name="Add with deposit").click()
    expect(page.locator("#error")).to_contain_text("is not an image file that can be read")
    assert site.chain.block_number() == before


def _encoded_png(width: int, height: int) -> str:
    import io

    buffer = io.BytesIO()
    Image.new("L", (width, height)).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


EPS = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 16 16\n"


@pytest.mark.parametrize(
    ("image", "message"),
    [
        ("not base64!", "in base64"),
        (base64.b64encode(b"GIF89a").decode(), "the image is not an image file that can be read"),
        (base64.b64encode(EPS).decode(), "the image is not an image file that can be read"),  # no program is run
        (_encoded_png(1025, 1024), "the image: 1025x1024 pixels, more than the 1,048,576 an image may have"),
    ],
    ids=["not base64", "not an image", "postscript", "too many pixels"],
)
def test_bad_images_through_the_api(site: Site, image: str, message: str) -> None:
    before = site.chain.block_number()
    answer = site.post(f"/api/models/{site.image_model}/predict", {"image": image})
    assert answer.status_code == 400 and message in answer.json()["error"]
    assert "/tmp" not in answer.json()["error"]  # the server's own paths stay its own
    added = site.post(f"/api/models/{site.image_model}/contributions", {"image": image, "label": 0, "account": 1})
    assert added.status_code == 400 and site.chain.block_number() == before

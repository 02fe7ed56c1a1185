"""Encoders: vocabulary, feature hashing, pixels; ids that travel with the model; bad input refused."""

from __future__ import annotations

import hashlib
import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sumchain.encoders import (
    IMDB_VOCABULARY,
    MAX_PARAMS_BYTES,
    MAX_TEXT_CHARS,
    MURMUR_HASH_3,
    HashingEncoder,
    PixelEncoder,
    VocabularyEncoder,
    encoder_for,
    params_id,
    tokens,
)
from sumchain.errors import EncoderError, EncoderUnavailable, InvalidSample, MetadataError, NotFittedError
from sumchain.metadata import ModelMetadata
from sumchain.models.samples import MAX_SAMPLE
from tests.unit.encoder_outputs import TEXTS, outputs, pictures

REPO = Path(__file__).resolve().parents[2]


def murmur3_32(data: bytes, seed: int = 0) -> int:
    """MurmurHash3 x86_32, written from its published description: the test's own reference."""
    c1, c2, mask = 0xCC9E2D51, 0x1B873593, 0xFFFFFFFF

    def rotl(x: int, r: int) -> int:
        return ((x << r) | (x >> (32 - r))) & mask

    h = seed
    whole = len(data) // 4 * 4
    for (k,) in struct.iter_unpack("<I", data[:whole]):
        h ^= rotl(k * c1 & mask, 15) * c2 & mask
        h = (rotl(h, 13) * 5 + 0xE6546B64) & mask
    k = int.from_bytes(data[whole:], "little")
    if k or len(data) % 4:
        h ^= rotl(k * c1 & mask, 15) * c2 & mask
    h ^= len(data)
    for shift, multiplier in ((16, 0x85EBCA6B), (13, 0xC2B2AE35)):
        h = (h ^ (h >> shift)) * multiplier & mask
    return h ^ (h >> 16)


# -- tokenization and the vocabulary ---------------------------------------------


def test_tokens_are_lower_case_runs_of_letters_and_digits() -> None:
    assert tokens("Don't<br/>STOP!!! 10/10, naïve_café") == ["don", "t", "stop", "10", "10", "naïve", "café"]


def test_the_imdb_vocabulary_is_the_reference_one() -> None:
    enc = VocabularyEncoder.imdb()
    assert enc.n_features == 1_000 == len(enc.vocabulary_)
    assert sorted(enc.vocabulary_.values()) == list(range(1_000))
    assert enc.words_ == sorted(enc.words_)  # the reference's order: alphabetical
    assert enc.id == IMDB_VOCABULARY and enc.encoder_params is None
    assert encoder_for("imdb VOCAB") == enc


def test_vocabulary_encoding_is_sorted_unique_known_words() -> None:
    enc = VocabularyEncoder.imdb()
    out = enc.encode("GREAT great movie!!! <br /><br />unknownword, bad... 10/10")
    assert out == sorted({enc.vocabulary_[w] for w in ("great", "movie", "bad", "10")})
    assert "br" in enc.vocabulary_ and enc.vocabulary_["br"] not in enc.encode("good<br />film")


def test_fit_keeps_the_words_found_in_the_most_texts_ties_alphabetical() -> None:
    corpus = ["b a a a", "b c", "c d", "b"]  # document counts: b 3, c 2, a 1, d 1
    enc = VocabularyEncoder(max_features=3).fit(corpus)
    assert enc.words_ == ["b", "c", "a"]
    assert enc.encode("A, b! Z") == [0, 2]
    rebuilt = encoder_for(enc.id, enc.params())
    assert rebuilt == enc and rebuilt.words_ == enc.words_ and enc.id.startswith("vocabulary:")
    assert VocabularyEncoder(max_features=3).fit(reversed(corpus)).id == enc.id  # order of the corpus is no matter


def test_a_vocabulary_id_is_the_hash_of_its_words() -> None:
    enc = VocabularyEncoder(["good", "bad"])
    assert enc.params() == {"words": "good bad"}
    assert (
        enc.id
        == params_id("vocabulary", {"words": "good bad"})
        == "vocabulary:" + (hashlib.sha256(b'{"words":"good bad"}').hexdigest()[:16])
    )
    assert VocabularyEncoder(["bad", "good"]).id != enc.id


def test_an_unfitted_vocabulary_says_to_fit() -> None:
    with pytest.raises(NotFittedError, match="call fit with a corpus first"):
        VocabularyEncoder().encode("good")


@pytest.mark.parametrize(
    ("vocabulary", "problem"),
    [
        (["good", "good"], "must differ"),
        (["Good"], "single lower-case words"),
        (["two words"], "single lower-case words"),
        ([], "at least one word"),
        ({"a": 0, "b": 2}, r"indices must be 0 \.\. n - 1"),
        ("good bad", "got a string"),
    ],
)
def test_malformed_vocabularies_are_refused(vocabulary, problem) -> None:
    with pytest.raises(EncoderError, match=problem):
        VocabularyEncoder(vocabulary)


def test_a_vocabulary_too_large_for_the_metadata_is_refused_saying_what_fits() -> None:
    words = [f"word{i}" for i in range(2_000)]  # 6 to 8 bytes each, with the space
    enc = VocabularyEncoder(words)
    assert len(json.dumps(enc.params())) > MAX_PARAMS_BYTES
    with pytest.raises(EncoderError, match=r"more than the 12,288 .* its first 1,[0-9]{3} words of 2,000 fit"):
        enc.metadata("too big")
    fits = VocabularyEncoder(words[:1_000]).metadata("fine", description="x" * 2_000)
    assert len(fits.to_json()) <= 16_384


# -- feature hashing ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seed", "expected"),
    [
        ("", 0, 0),
        ("", 1, 0x514E28B7),
        ("hello", 0, 0x248BFA47),
        ("The quick brown fox jumps over the lazy dog", 0, 0x2E4FF723),
        ("Hello, world!", 1234, 0xFAF6CDB3),
    ],
)
def test_murmur3_matches_its_published_values(text, seed, expected) -> None:
    import mmh3

    assert murmur3_32(text.encode(), seed) == mmh3.hash(text, seed, signed=False) == expected


@given(st.lists(st.text(alphabet=st.characters(categories=["L", "Nd"]), min_size=1), min_size=1, max_size=20))
def test_hashing_indices_are_each_words_murmur3_modulo_the_buckets(words) -> None:
    text = " ".join(words)
    for n in (1, 1_000, 2**20, 2**32):
        expected = sorted({murmur3_32(w.encode()) % n for w in tokens(text)})
        assert HashingEncoder(n_features=n).encode(text) == expected


def test_murmurhash3_is_the_reference_hashing_built_in() -> None:
    enc = encoder_for("murmurhash3")
    assert enc.id == MURMUR_HASH_3 and enc.n_features == 2**32 and enc.encoder_params is None
    assert enc.encode("Hello hello") == [0x248BFA47]


def test_signed_counts_are_a_unit_vector_of_signed_word_counts() -> None:
    enc = HashingEncoder(n_features=8, counts=True, signed=True)
    counts = [0.0] * 8
    for word in tokens(TEXTS[0]):
        h = murmur3_32(word.encode())
        counts[h % 8] += -1 if h >= 2**31 else 1
    norm = float(np.linalg.norm(counts))
    assert np.allclose(np.array(enc.encode(TEXTS[0])) / 1e9, np.array(counts) / norm, atol=1e-9)
    assert enc.feature_kind == "values" and HashingEncoder(n_features=8).feature_kind == "indices"


def test_signed_counts_that_cancel_out_are_refused() -> None:
    enc = HashingEncoder(n_features=1, counts=True, signed=True)
    plus = next(w for w in ("a", "b", "c", "d", "e", "f") if murmur3_32(w.encode()) < 2**31)
    minus = next(w for w in ("a", "b", "c", "d", "e", "f") if murmur3_32(w.encode()) >= 2**31)
    with pytest.raises(InvalidSample, match="cancel out to the zero vector"):
        enc.encode(f"{plus} {minus}")


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ({"n_features": 0}, r"n_features must be an integer in \[1, 4,294,967,296\]"),
        ({"n_features": 2**32 + 1}, "n_features must be"),
        ({"n_features": 513, "counts": True}, r"in \[1, 512\]"),
        ({"n_features": 8, "signed": True}, "needs counts=True"),
        ({"n_features": 8, "counts": 1}, "true or false"),
        ({"n_features": True}, "n_features must be"),
    ],
)
def test_bad_hashing_parameters_are_refused(options, problem) -> None:
    with pytest.raises(EncoderError, match=problem):
        HashingEncoder(**options)


def test_a_text_with_more_buckets_than_a_sample_takes_is_refused() -> None:
    text = " ".join(f"w{i}" for i in range(MAX_SAMPLE + 50))
    with pytest.raises(InvalidSample, match=r"distinct buckets, more than the 512 sent"):
        HashingEncoder(n_features=2**32).encode(text)


# -- images ------------------------------------------------------------------------


def test_pixels_average_by_area_and_normalize_exactly() -> None:
    enc = PixelEncoder(width=2, height=2)
    ink = np.array([[255, 255, 0], [255, 0, 0], [0, 0, 0]])  # grey: dark in the top-left corner
    grey = 255 - ink
    # each cell covers 1.5 x 1.5 source pixels: a pixel in its row and column counts 1, one shared with
    # the next cell's row or column 1/2, one shared in both 1/4 (the centre pixel, which has no ink)
    cells = np.array([[255 * (1 + 0.5 + 0.5), 255 * 0.5], [255 * 0.5, 0]])
    expected = cells.ravel() / np.linalg.norm(cells)
    assert np.allclose(np.array(enc.encode(grey)) / 1e9, expected, atol=2e-9)


def test_an_image_scaled_up_by_a_whole_factor_encodes_as_the_original() -> None:
    enc = PixelEncoder(width=8, height=8)
    for picture in pictures()[:5]:
        assert enc.encode(np.kron(picture, np.ones((4, 4), dtype=np.uint8))) == enc.encode(picture)


def test_light_ink_reads_the_grey_levels_themselves() -> None:
    picture = pictures()[0]
    assert PixelEncoder(ink="light").encode(255 - picture) == PixelEncoder(ink="dark").encode(picture)


def test_image_files_are_read_as_grey_with_transparency_on_white(tmp_path) -> None:
    from PIL import Image

    picture = pictures()[3]
    Image.fromarray(picture).save(tmp_path / "digit.png")
    Image.fromarray(picture).save(tmp_path / "digit.pgm")
    rgba = np.zeros((8, 8, 4), dtype=np.uint8)  # black ink, transparent where there is no ink
    rgba[..., 3] = 255 - picture
    Image.fromarray(rgba, "RGBA").save(tmp_path / "transparent.png")
    enc = PixelEncoder()
    expected = enc.encode(picture)
    assert enc.encode(tmp_path / "digit.png") == enc.encode(tmp_path / "digit.pgm") == expected
    assert np.abs(np.array(enc.encode(tmp_path / "transparent.png")) - expected).max() < 1e7  # rounding of alpha


@pytest.mark.parametrize(
    ("image", "problem"),
    [
        (np.zeros((8, 8, 3)), "a 2-D array of grey levels"),
        (np.zeros(64), "a 2-D array of grey levels"),
        ("digit.png", "a 2-D array of grey levels .* or the Path of an image file"),
        (np.zeros((4, 4)), "4x4 pixels, fewer than the encoder's 8x8"),
        (np.zeros((8, 16)), "shape 16x8 is not the encoder's 8x8"),
        (np.full((8, 8), 255), "blank"),
        (np.full((8, 8), 256), "from 0 to 255"),
        (np.full((8, 8), 0.5), "whole numbers"),
        (np.zeros((5000, 5000), dtype=np.uint8), "at most 16,777,216 pixels"),
    ],
)
def test_bad_images_are_refused(image, problem) -> None:
    with pytest.raises(InvalidSample, match=problem):
        PixelEncoder().encode(image)


def test_unreadable_image_files_are_refused(tmp_path) -> None:
    (tmp_path / "not.png").write_text("hello")
    with pytest.raises(InvalidSample, match=r"not\.png is not an image file that can be read"):
        PixelEncoder().encode(tmp_path / "not.png")
    with pytest.raises(InvalidSample, match="is not an image file"):
        PixelEncoder().encode(tmp_path / "missing.png")


def test_bad_pixel_parameters_are_refused() -> None:
    with pytest.raises(EncoderError, match="at most 512 cells"):
        PixelEncoder(width=32, height=32)
    with pytest.raises(EncoderError, match="ink is one of"):
        PixelEncoder(ink="blue")


# -- text input --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "the text is empty"),
        (" \n\t ", "the text is empty"),
        ("x" * (MAX_TEXT_CHARS + 1), "100,001 characters, more than the 100,000"),
        ("good \ud800 film", "not valid Unicode"),
        (b"good film", "a text input is a string, got bytes"),
        ("🎬 🍿 !!!", "no word"),
    ],
)
def test_bad_texts_are_refused_by_every_text_encoder(text, problem) -> None:
    for enc in (VocabularyEncoder.imdb(), HashingEncoder(n_features=64), HashingEncoder(n_features=8, counts=True)):
        with pytest.raises(InvalidSample, match=problem):
            enc.encode(text)


def test_transform_names_the_bad_input() -> None:
    with pytest.raises(InvalidSample, match="input 1: the text is empty"):
        HashingEncoder(n_features=64).transform(["good", ""])


# -- ids, parameters, the registry -------------------------------------------------


def test_every_encoder_is_rebuilt_from_its_parameters_under_the_same_id() -> None:
    for name, found in outputs(["vocabulary", "hashing", "pixels"]).items():
        rebuilt = encoder_for(found["id"].upper(), found["params"])  # ids compare without case
        assert (
            rebuilt.id == found["id"]
            and rebuilt.transform(
                TEXTS[:3] if name == "vocabulary" else TEXTS if "hashing" in name else list(pictures())
            )
            == found["features"]
        ), name


def test_encoders_are_deterministic_across_processes() -> None:
    kinds = ["vocabulary", "hashing", "pixels"]
    here = outputs(kinds)
    proc = subprocess.run(
        [sys.executable, "-m", "tests.unit.encoder_outputs", *kinds],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONHASHSEED": "12345"},  # another set and dict order
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == here


@pytest.mark.parametrize(
    ("encoder_id", "params", "error", "problem"),
    [
        (None, None, EncoderUnavailable, "names no encoder for raw input"),
        ("MobileNetV2", None, EncoderUnavailable, "'MobileNetV2' is unknown to this sumchain .*--sample on the"),
        ("colours:0123456789abcdef", {}, EncoderUnavailable, "unknown to this sumchain"),
        ("hashing:0123", {}, EncoderUnavailable, "unknown to this sumchain"),
        ("hashing:0123456789abcdef", None, EncoderError, "needs its parameters, and the model publishes none"),
        ("hashing:0123456789abcdef", {"n_features": 8, "counts": False, "signed": False}, EncoderError, "hash to"),
        ("IMDB vocab", {"words": "a b"}, EncoderError, "takes no parameters"),
    ],
)
def test_ids_that_cannot_be_used_are_refused(encoder_id, params, error, problem) -> None:
    with pytest.raises(error, match=problem):
        encoder_for(encoder_id, params)


@pytest.mark.parametrize(
    ("params", "problem"),
    [
        ({"n_features": 8, "counts": False}, "parameters are"),
        ({"n_features": 8, "counts": False, "signed": False, "seed": 1}, "parameters are"),
        ({"n_features": "8", "counts": False, "signed": False}, "n_features must be an integer"),
    ],
)
def test_malformed_parameters_under_their_own_id_are_refused(params, problem) -> None:
    with pytest.raises(EncoderError, match=problem):
        encoder_for(params_id("hashing", params), params)


def test_metadata_of_an_encoder_carries_its_features_id_and_parameters() -> None:
    enc = HashingEncoder(n_features=64, counts=True)
    meta = enc.metadata("spam", class_names=("ham", "spam"))
    assert (meta.n_features, meta.feature_kind, meta.encoder) == (64, "values", enc.id)
    back = ModelMetadata.from_json(meta.to_json())
    assert encoder_for(back.encoder, back.encoder_params) == enc


def test_an_encoder_giving_other_features_than_the_model_is_refused() -> None:
    from sumchain.encoders import check_published_encoder

    enc = HashingEncoder(n_features=64)
    wrong = ModelMetadata(name="m", n_features=65, encoder=enc.id, encoder_params=enc.params())
    with pytest.raises(MetadataError, match=r"takes 65 feature indices but its encoder .* gives 64 feature indices"):
        check_published_encoder(wrong)
    check_published_encoder(ModelMetadata(name="m", n_features=3, encoder="someone else's"))  # not ours: published

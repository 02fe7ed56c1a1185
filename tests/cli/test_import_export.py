"""``sumchain import`` and ``sumchain export`` end to end: real processes on one embedded chain file.

What the imported models predict, compared with the files' float models, is
checked in ``tests/unit/test_reference_files.py``; here the commands must
deploy exactly the file's fixed-point model and write back what is on chain.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from sumchain import EmbeddedChain, SharedModel
from sumchain.incentives import DAY, DepositRefundTake
from sumchain.models.reference_file import read_model_file
from tests.cli.test_cli import fails, run
from tests.unit.test_reference_files import FILES, IMDB_MODEL, needs_original

ADDRESS = re.compile(r"^(0x[0-9a-fA-F]{40})$", re.MULTILINE)


@contextmanager
def chain_file(cwd: Path) -> Iterator[EmbeddedChain]:
    """The embedded chain the commands share, opened between two of them."""
    chain = EmbeddedChain(cwd / ".sumchain" / "chain.sqlite")
    try:
        yield chain
    finally:
        chain.close()


def imported(cwd: Path, path: Path, *options: str) -> str:
    """Import a file; returns the address, which is the last line, alone."""
    out = run(cwd, "import", str(path), *options).stdout
    assert ADDRESS.search(out.splitlines()[-1]), out
    return ADDRESS.search(out)[1]


@needs_original
def test_import_shows_each_chunk_then_the_gas_and_the_address(tmp_path) -> None:
    out = run(tmp_path, "import", str(IMDB_MODEL), "--encoder", "imdb vocab").stdout
    lines = out.splitlines()
    assert lines[0] == f"Read a sparse perceptron model from {IMDB_MODEL}."
    chunks = [int(g.replace(",", "")) for g in re.findall(r"^  .* \(tx gas ([\d,]+)\)$", out, re.MULTILINE)]
    assert lines[1].startswith("  contract created at 0x") and lines[-3].startswith("  parameters 167/167 words")
    total = re.search(
        r"^Deployed a sparse perceptron \(1000 features, 2 classes\) with Deposit, Refund and Take, "
        r"total gas ([\d,]+), at:$",
        out,
        re.M,
    )
    assert total and int(total[1].replace(",", "")) == sum(chunks) and len(chunks) >= 2
    address = ADDRESS.fullmatch(lines[-1])[1]
    mirror = read_model_file(IMDB_MODEL).model
    with chain_file(tmp_path) as chain:
        model = SharedModel(chain, address)
        assert model.params == tuple(mirror.model_params())
        assert model.parameter_words() == mirror.to_words()
        assert model.mechanism == DepositRefundTake()
    assert run(tmp_path, "predict", "a wonderful, brilliant masterpiece").stdout.startswith("1")  # the current model
    assert run(tmp_path, "predict", "an awful, boring mess").stdout.startswith("0")


@needs_original
def test_export_then_import_gives_the_same_model_with_the_chosen_incentive(tmp_path) -> None:
    first = imported(tmp_path, IMDB_MODEL)
    out = run(tmp_path, "export", "exported.json").stdout
    assert out.strip() == f"Wrote the sparse perceptron at {first} to exported.json."
    spec = json.loads(IMDB_MODEL.read_text())
    exported = json.loads((tmp_path / "exported.json").read_text())
    assert exported["weights"] == [round(w * 1e9) / 1e9 for w in spec["weights"]]
    second = imported(tmp_path, tmp_path / "exported.json", "--cost-weight", "0", "--refund-wait", "2h")
    assert second != first
    run(tmp_path, "--model", second, "export", "again.json")
    assert (tmp_path / "again.json").read_text() == (tmp_path / "exported.json").read_text()
    assert run(tmp_path, "export", "-").stdout == (tmp_path / "again.json").read_text()  # - is standard output
    assert not (tmp_path / "-").exists()
    with chain_file(tmp_path) as chain:
        one, two = SharedModel(chain, first), SharedModel(chain, second)
        assert two.params == one.params and two.parameter_words() == one.parameter_words()
        assert two.mechanism == DepositRefundTake(cost_weight=0, refund_wait=7_200, owner_claim_wait=9 * DAY)


@pytest.mark.parametrize("name", FILES)
def test_every_type_imports_and_exports(tmp_path, name) -> None:
    address = imported(tmp_path, FILES[name])
    run(tmp_path, "export", "exported.json")
    mirror, again = read_model_file(FILES[name]).model, read_model_file(tmp_path / "exported.json").model
    assert (again.model_params(), again.to_words()) == (mirror.model_params(), mirror.to_words())
    with chain_file(tmp_path) as chain:
        assert SharedModel(chain, address).parameter_words() == mirror.to_words()


def test_a_decaying_step_travels_through_import_add_and_export(tmp_path) -> None:
    spec = {"type": "sparse perceptron", "weights": [0, 0, 0, 0], "learningRate": 1, "learningRateDecay": 2}
    (tmp_path / "decaying.json").write_text(json.dumps({**spec, "samplesSeen": 2}))
    address = imported(tmp_path, tmp_path / "decaying.json", "--cost-weight", "0")
    run(tmp_path, "add", "--sample", "0,1", "--label", "1", "--account", "1")  # a mistake: step 1 * 2 // (2 + 2)
    run(tmp_path, "add", "--sample", "0", "--label", "1", "--account", "1")  # right: counted, no move
    run(tmp_path, "add", "--sample", "2", "--label", "1", "--account", "1")  # a mistake: step 2 // 6
    run(tmp_path, "export", "after.json")
    after = json.loads((tmp_path / "after.json").read_text())
    assert (after["learningRateDecay"], after["samplesSeen"]) == (2, 5)
    assert after["weights"] == [0.5, 0.5, 0.333333333, 0]  # at the 1e9 scale
    with chain_file(tmp_path) as chain:
        assert SharedModel(chain, address).params[4] == 2


def test_bad_files_are_one_line_errors_and_deploy_nothing(tmp_path) -> None:
    good = FILES["sparse-perceptron.json"]
    fails(tmp_path, "import", "nothing.json", message="cannot read nothing.json: [Errno 2] No such file")
    assert not (tmp_path / ".sumchain").exists()  # the chain was not even opened
    fails(tmp_path, "export", "out.json", message="no model given")

    address = imported(tmp_path, good)
    with chain_file(tmp_path) as chain:
        height = chain.block_number()
    (tmp_path / "bad.json").write_text('{"type": "sparse perceptron", "weights": [1.0,')
    fails(tmp_path, "import", "bad.json", message="cannot read bad.json: Expecting value")
    (tmp_path / "forest.json").write_text('{"type": "random forest"}')
    fails(tmp_path, "import", "forest.json", message="unknown model type 'random forest'; known types are ")
    (tmp_path / "decay.json").write_text('{"type": "sparse perceptron", "weights": [1], "learningRateDecay": 0}')
    fails(tmp_path, "import", "decay.json", message="learningRateDecay must be in [1, 2**64 - 1], got 0")
    (tmp_path / "short.json").write_text('{"type": "sparse perceptron", "intercept": 1.0}')
    fails(tmp_path, "import", "short.json", message="malformed 'sparse perceptron' model: missing field 'weights'")
    (tmp_path / "huge.json").write_text('{"type": "sparse perceptron", "weights": [1e300], "intercept": 0}')
    fails(tmp_path, "import", "huge.json", message="malformed 'sparse perceptron' model: ")
    fails(tmp_path, "import", str(good), "--refund-wait", "10d", message="the waits must satisfy")
    fails(tmp_path, "import", str(good), "--refund-wait", "soon", message="is not a duration")
    fails(tmp_path, "export", str(tmp_path / "no-folder" / "out.json"), message="cannot write")
    with chain_file(tmp_path) as chain:
        assert chain.block_number() == height
        assert chain.notes["model"] == address


def test_encoder_hashing_hashes_into_the_models_features_and_murmurhash3_says_so(tmp_path) -> None:
    """``MurmurHash3`` gives 2**32 feature indices, which a model file's weights never are: it was offered
    and always refused at the deployment; ``hashing`` takes the model's number of features."""
    from sumchain.encoders import HashingEncoder

    weights = [((i * 37) % 11 - 5) / 5 for i in range(64)]
    (tmp_path / "small.json").write_text(json.dumps({"type": "sparse perceptron", "weights": weights}))
    fails(
        tmp_path, "import", "small.json", "--encoder", "MurmurHash3",
        message="MurmurHash3 gives 2**32 feature indices (the reference's sparse weights), and this model takes 64: "
        "--encoder hashing hashes each word modulo 64 instead",
    )  # fmt: skip
    run(tmp_path, "import", "small.json", "--encoder", "hashing", "--name", "hashed")
    info = json.loads(run(tmp_path, "info", "--json").stdout)
    hashing = HashingEncoder(n_features=64)
    assert (info["encoder"], info["encoder_params"]) == (hashing.id, hashing.params())
    text = "a splendid, moving film"
    expected = read_model_file(tmp_path / "small.json").model.predict([hashing.encode(text)])[0]
    assert run(tmp_path, "predict", text).stdout.split()[0] == str(expected)

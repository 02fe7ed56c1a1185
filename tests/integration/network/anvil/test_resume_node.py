"""An interrupted deploy on a node whose blocks come later than its transactions: Ctrl-C while the
contract's creation waits to be mined remembers the contract it makes, and the same command run again
waits for the interrupted run's transactions before it resumes."""

from __future__ import annotations

import shlex
import signal
import time
from pathlib import Path

import pytest

from sumchain.chain.hashing import created_address
from tests.cli.test_cli import ADDRESS
from tests.cli.test_resume import big_model
from tests.helpers import run_sumchain, start_sumchain

from .conftest import connect, running_anvil

pytestmark = pytest.mark.anvil


def test_ctrl_c_while_the_creation_is_pending_remembers_it_and_a_resume_waits_for_it(tmp_path: Path) -> None:
    """It said "nothing was deployed", and the contract was created all the same, then forgotten; a resume
    sent before the interrupted run's transaction was mined was refused as "chunk out of order"."""
    with running_anvil("--no-mining") as url:
        chain = connect(url)
        owner = chain.accounts[0]
        path = big_model(tmp_path)
        command = ("--chain", url, "import", str(path), "--no-register")
        process = start_sumchain(tmp_path, *command)
        deadline = time.monotonic() + 60
        while chain.unmined(owner) == 0 and time.monotonic() < deadline:  # the creation sent, not mined
            time.sleep(0.1)
        process.send_signal(signal.SIGINT)
        _, said = process.communicate(timeout=60)
        expected = created_address(owner, 0)
        assert process.returncode == 130 and said.count("\n") == 1, said
        assert f"interrupted once the contract's creation was sent: the model at {expected} (once mined)" in said
        hinted = shlex.split(said.split("run the same command again to finish the upload: ")[1])
        assert hinted == ["sumchain", *command]
        resumed = start_sumchain(tmp_path, *hinted[1:])
        assert resumed.stdout is not None
        first = [resumed.stdout.readline() for _ in range(2)]  # what it read, then that it waits
        assert first[1].startswith(f"Waiting for 1 earlier transaction(s) of {owner} to be mined"), first
        chain.request("evm_mine")  # the creation
        chain.request("evm_setAutomine", True)  # and the rest as they come
        out, errors = resumed.communicate(timeout=120)
        assert resumed.returncode == 0, errors
        assert f"Resuming the upload of the model at {expected} (0/" in out
        assert ADDRESS.fullmatch(out.splitlines()[-1])[1] == expected


def test_a_creation_whose_receipt_is_late_is_remembered_and_the_error_keeps_its_kind(tmp_path: Path) -> None:
    """The receipt of the creation did not come within --timeout: the contract was forgotten (and rebuilding
    the error for its hint failed on errors that carry a transaction hash, as "Unexpected error")."""
    with running_anvil("--no-mining") as url:
        chain = connect(url)
        command = ("--chain", url, "--timeout", "1", "import", str(big_model(tmp_path)), "--no-register")
        late = run_sumchain(tmp_path, *command)
        expected = created_address(chain.accounts[0], 0)
        assert late.returncode == 1 and late.stderr.startswith("TransactionPending: transaction 0x"), late.stderr
        assert f"; the model at {expected} is remembered: run the same command again" in late.stderr
        chain.request("evm_mine")
        chain.request("evm_setAutomine", True)
        resumed = run_sumchain(tmp_path, *command)
        assert resumed.returncode == 0 and f"Resuming the upload of the model at {expected} (0/" in resumed.stdout

"""The package's surface: every public name resolves, and importing it stays cheap."""

from __future__ import annotations

import subprocess
import sys

import sumchain


def test_every_public_name_resolves_and_is_listed() -> None:
    assert sorted(sumchain._EXPORTS) == sumchain.__all__
    for name in sumchain.__all__:
        assert getattr(sumchain, name).__name__ == name


def test_importing_the_package_or_the_cli_loads_no_heavy_dependency() -> None:
    code = "import sys, sumchain, sumchain.cli; print(' '.join(sorted(sys.modules)))"
    loaded = set(
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    )
    heavy = {"eth_utils", "eth_abi", "web3", "eth_account", "numpy", "vyper", "eth", "pyrevm", "sklearn"}
    assert not heavy & loaded, f"imported at start-up: {sorted(heavy & loaded)}"

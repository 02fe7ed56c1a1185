"""Compile the contracts that the package ships into ``src/sumchain/contracts/compiled/``.

Run after editing any ``.vy`` file (``python scripts/build_contracts.py``) and commit
the result; ``tests/unit/test_shipped_contracts.py`` fails until the shipped files
are what the sources compile to.
"""

from sumchain.chain.compiler import write_shipped

if __name__ == "__main__":
    for path in write_shipped():
        print(f"wrote {path}")

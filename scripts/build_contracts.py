"""Write every trainer from its template, and compile the shipped contracts into ``src/sumchain/contracts/compiled/``.

Run after editing any ``.vy`` file or ``templates/trainer.vy.template``
(``python scripts/build_contracts.py``) and commit the result;
``tests/unit/test_shipped_contracts.py`` fails until the trainers are what the
template makes and the shipped files what the sources compile to.
"""

from sumchain.chain.compiler import write_shipped, write_trainers

if __name__ == "__main__":
    for path in [*write_trainers(), *write_shipped()]:
        print(f"wrote {path}")

"""Write the reference outputs that ``tests/cli/test_contract.py::test_numbers_are_those_of_main`` compares with.

Each registered experiment runs at its ``tiny`` size in float64, as the tests' ``tiny`` fixture runs it,
and its Dataset is copied to ``tests/data/reference_outputs/<name>.nc``.  Run from the repository root
(``python tests/data/make_reference_outputs.py``) only when a change of numbers is intended, and say in
the commit which change it is; the test then guards every other change against moving a number.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

# As the tests run: one XLA host device per core (results depend on the device count at 1e-15).
os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "")
                           + f" --xla_force_host_platform_device_count={os.cpu_count() or 1}").strip()

from popsim.experiments import REGISTRY  # noqa: E402
from popsim.run import configure, run  # noqa: E402

OUT = Path(__file__).resolve().parent / "reference_outputs"


def main(names: list[str]) -> None:
    OUT.mkdir(exist_ok=True)
    for name in names or sorted(REGISTRY):
        with tempfile.TemporaryDirectory() as tmp:
            files = run(configure([f"+experiment={name}", *REGISTRY[name].tiny, "precision=float64"]), Path(tmp),
                        progress=False)
            shutil.copyfile(files["dataset"], OUT / f"{name}.nc")
        print(f"{name}: {OUT / f'{name}.nc'}")


if __name__ == "__main__":
    main(sys.argv[1:])

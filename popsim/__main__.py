"""``python -m popsim +experiment=<name> [key=value ...]``.

Process-wide settings live here, not in the library: the matplotlib backend
(files, no display) and, on a CPU-only host, one XLA host device per core so
that :mod:`popsim.simulate` can shard subjects across cores (this must happen
before JAX starts its backend, so before popsim is imported).
"""

import os

if "xla_force_host_platform_device_count" not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = (
        os.environ.get("XLA_FLAGS", "") + f" --xla_force_host_platform_device_count={os.cpu_count() or 1}"
    ).strip()

import matplotlib  # noqa: E402

matplotlib.use("Agg")

import hydra  # noqa: E402
from hydra.core.hydra_config import HydraConfig  # noqa: E402
from omegaconf import DictConfig  # noqa: E402

from popsim.config import register  # noqa: E402

register()


@hydra.main(version_base="1.3", config_path="configs", config_name="config")
def main(cfg: DictConfig) -> None:
    import sys
    from pathlib import Path

    from hydra.types import RunMode

    from popsim.keys import job_seed
    from popsim.run import compose, run

    hc = HydraConfig.get()
    overrides = list(hc.overrides.task)
    if hc.mode == RunMode.MULTIRUN and cfg.get("job_seed", "derive") == "derive":
        cfg.seed = job_seed(cfg.seed, overrides)
    try:
        c = compose(cfg)
    except ValueError as e:
        sys.exit(f"popsim: {e}")
    run(c, Path(hc.runtime.output_dir))


if __name__ == "__main__":
    import sys

    from popsim.run import check_keys

    from hydra.errors import OverrideParseException

    try:
        check_keys(sys.argv[1:])
    except ValueError as e:
        sys.exit(f"popsim: {e}")
    except OverrideParseException:
        pass  # Hydra reports a malformed override itself
    main()

"""``python -m popsim +experiment=<name> [key=value ...]``."""

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from popsim.config import register

register()


@hydra.main(version_base="1.3", config_path="../configs", config_name="config")
def main(cfg: DictConfig) -> None:
    from pathlib import Path

    from hydra.types import RunMode

    from popsim.keys import job_seed
    from popsim.run import compose, run

    hc = HydraConfig.get()
    if hc.mode == RunMode.MULTIRUN and cfg.get("job_seed", "derive") == "derive":
        cfg.seed = job_seed(cfg.seed, list(hc.overrides.task))
    run(compose(cfg), Path(hc.runtime.output_dir), OmegaConf.to_yaml(cfg, resolve=True))


if __name__ == "__main__":
    main()

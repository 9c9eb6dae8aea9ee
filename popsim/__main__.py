"""``python -m popsim +experiment=<name> [key=value ...]``."""

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from popsim.config import register

register()


@hydra.main(version_base="1.3", config_path="../configs", config_name="config")
def main(cfg: DictConfig) -> None:
    from pathlib import Path

    from popsim.run import compose, run

    run(compose(cfg), Path(HydraConfig.get().runtime.output_dir), OmegaConf.to_yaml(cfg, resolve=True))


if __name__ == "__main__":
    main()

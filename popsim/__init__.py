"""popsim: population-scale Monte Carlo PK/PD simulation.

On a CPU-only host, popsim exposes one XLA host device per core (unless
``XLA_FLAGS`` already says otherwise) so that :mod:`popsim.simulate` can shard
subjects across cores; this must happen before JAX starts its backend.
"""

import os as _os

if "xla_force_host_platform_device_count" not in _os.environ.get("XLA_FLAGS", ""):
    _os.environ["XLA_FLAGS"] = (
        _os.environ.get("XLA_FLAGS", "") + f" --xla_force_host_platform_device_count={_os.cpu_count() or 1}"
    ).strip()

from popsim.pk.events import predict_events as predict_events  # noqa: E402
from popsim.pk.grid import Channel as Channel  # noqa: E402
from popsim.pk.grid import GridSpec as GridSpec  # noqa: E402
from popsim.pk.grid import Trigger as Trigger  # noqa: E402
from popsim.pk.grid import Window as Window  # noqa: E402
from popsim.pk.model import Compartment as Compartment  # noqa: E402
from popsim.pk.model import Flow as Flow  # noqa: E402
from popsim.pk.model import LinearModel as LinearModel  # noqa: E402
from popsim.pk.model import mammillary as mammillary  # noqa: E402
from popsim.pk.model import parent_metabolite_chain as parent_metabolite_chain  # noqa: E402
from popsim.simulate import simulate_grid as simulate_grid  # noqa: E402

__version__ = "0.1.0"

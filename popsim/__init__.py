"""popsim: population-scale Monte Carlo PK/PD simulation.

The engine (grid and event modes), the study-arm API and the experiment
driver; ``python -m popsim`` sets the process-wide XLA device and matplotlib
settings (:mod:`popsim.__main__`).
"""

from popsim.arm import Arm as Arm
from popsim.arm import run_arm as run_arm
from popsim.drugs.library import load as load
from popsim.io import read_dataset as read_dataset
from popsim.pk.events import predict_events as predict_events
from popsim.pk.grid import Ceiling as Ceiling
from popsim.pk.grid import Channel as Channel
from popsim.pk.grid import GridSpec as GridSpec
from popsim.pk.grid import Hold as Hold
from popsim.pk.grid import Trigger as Trigger
from popsim.pk.grid import Window as Window
from popsim.planner import plan_taper as plan_taper
from popsim.pk.model import Compartment as Compartment
from popsim.pk.model import Flow as Flow
from popsim.pk.model import LinearModel as LinearModel
from popsim.pk.model import mammillary as mammillary
from popsim.pk.model import parent_metabolite_chain as parent_metabolite_chain
from popsim.simulate import simulate_grid as simulate_grid
from popsim.study import simulate_arm as simulate_arm

__version__ = "0.1.0"

"""Pharmacodynamics computed on line in the grid loop (see :class:`popsim.pd.model.PDModel`)."""

from popsim.pd.ethanol import EthanolMM as EthanolMM
from popsim.pd.ethanol import ethanol_gut as ethanol_gut
from popsim.pd.falls import Falls as Falls
from popsim.pd.gaba import GabaAdaptation as GabaAdaptation
from popsim.pd.model import Composite as Composite
from popsim.pd.model import PDModel as PDModel
from popsim.pd.mu import MuReceptor as MuReceptor
from popsim.pd.risk import SCORES as SCORES
from popsim.pd.risk import Risk as Risk
from popsim.pd.scores import Drive as Drive
from popsim.pd.scores import Score as Score
from popsim.pd.seizure import SeizureTermination as SeizureTermination
from popsim.pd.ventilation import Ventilation as Ventilation
from popsim.pd.withdrawal import Withdrawal as Withdrawal

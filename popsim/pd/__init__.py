"""Pharmacodynamics computed on line in the grid loop (see :class:`popsim.pd.model.PDModel`)."""

from popsim.pd.ethanol import EthanolMM as EthanolMM
from popsim.pd.ethanol import ethanol_gut as ethanol_gut
from popsim.pd.gaba import GabaAdaptation as GabaAdaptation
from popsim.pd.model import Composite as Composite
from popsim.pd.model import PDModel as PDModel
from popsim.pd.mu import MuReceptor as MuReceptor

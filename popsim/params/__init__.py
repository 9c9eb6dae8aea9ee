"""Covariates and random effects -> individual PK parameters.

``iiv``: log-normal inter-individual variability on typical values;
``physiology``: a subject's covariates -> liver, body composition, enzymes;
``derive``: a library drug + physiology (+ enzyme activity left by a perpetrator) -> the grid
model's parameters.
"""

from popsim.params.iiv import check_typical as check_typical
from popsim.params.iiv import individual as individual

"""Virtual cohorts: a numpyro model of one subject's covariates, and presets."""

from popsim.cohort.model import COVARIATES as COVARIATES
from popsim.cohort.model import sample_subject as sample_subject
from popsim.cohort.model import subject_model as subject_model

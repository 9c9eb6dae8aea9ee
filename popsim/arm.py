"""Study arms: who takes what on which grid, assembled into one compiled simulation.

:class:`Arm` describes one arm (cohort, drug and route, co-medications, a CYP3A4
or CYP2C19 perpetrator, grid); :func:`run_arm` simulates it over regimens and returns an
:class:`ArmOutput` whose windows and signals are read by name.  Every
experiment, the qualification, the calibration, the benchmarks and the tests
build their simulations this way.

Underneath, :class:`Physiological` is the subject model for :func:`popsim.simulate.simulate`
(hashable: it is part of the compile cache key).  For subject ``i`` it samples
the covariates (``cohort`` key stream), derives physiology, draws the drug's
published IIV (``iiv`` stream, keyed by drug and parameter), and, when a
perpetrator is given, simulates the perpetrator in the same subject and turns
its concentrations into the activity of the enzymes it acts on (CYP3A4 in liver
and gut wall, CYP2C19 in the liver) over time (:mod:`popsim.interactions`),
which the victim's parameters follow segment by segment.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Callable, Mapping, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from popsim.cohort.model import sample_subject
from popsim.cohort.presets import preset
from popsim.cohort.spec import CohortConfig
from popsim._validate import closest
from popsim.drugs.library import check_value, formed_mass_fraction, load, species, with_values
from popsim.interactions import SITES, activities, inhibitor_concentrations
from popsim.params.child import Child, check_cohort, child_parameters
from popsim.params.derive import pk_parameters
from popsim.params.iiv import etas
from popsim.params.physiology import body_fat_fraction, physiology
from popsim.pd.constants import ETHANOL, PD
from popsim.pd.ethanol import EthanolMM, ethanol_gut
from popsim.pd.gaba import GabaAdaptation
from popsim.pd.mu import MuReceptor
from popsim.pd.parameters import (check_draws, comedication_parameters, ethanol_parameters, gaba_agonists,
                                  gaba_parameters, role_prefix, score_parameters)
from popsim.pd.risk import SCORES, Risk
from popsim.pd.scores import Score
from popsim.pd.ventilation import Ventilation
from popsim.keys import root_key, stream_key
from popsim.pk.grid import Channel, GridSpec, Window, kernels, simulate_one
from popsim.pk.model import LinearModel, child_chain, parent_metabolite_chain
from popsim.simulate import simulate

__all__ = ["Arm", "ArmOutput", "Perpetrator", "Physiological", "SubjectArgs", "chain_prefixes", "frozen_cohort",
           "metabolite_outputs", "risk_model", "run_arm", "second_benzodiazepine", "victim_spec"]


@dataclasses.dataclass(frozen=True)
class Perpetrator:
    """A perpetrator (of CYP3A4 and/or CYP2C19) taken by ``route``; its doses are a runtime input (see
    :class:`Physiological`)."""

    drug: str
    route: str = "oral"

    def __post_init__(self):
        d = load(self.drug)
        if d.inhibition is None:
            raise ValueError(f"perpetrator {self.drug!r} has no enzyme inhibition or induction in the library")
        if self.route not in d.routes:
            raise ValueError(f"perpetrator {self.drug!r} route={self.route!r}; allowed: {sorted(d.routes)}")


def frozen_cohort(c: CohortConfig) -> tuple:
    """A cohort config as a hashable tuple of (field, value) pairs."""
    return tuple((f.name, tuple(v) if isinstance(v := getattr(c, f.name), list) else v)
                 for f in dataclasses.fields(c))


def chain_prefixes(n_species: int, prefix: str = "") -> tuple[str, ...]:
    """Parameter/compartment prefixes of a parent and its library metabolites: ``prefix``, ``{prefix}M1_``,
    ``{prefix}M2_``, ... (the arm's drug ``""``, a second benzodiazepine ``"B_"``)."""
    return tuple(prefix if k == 0 else f"{prefix}M{k}_" for k in range(n_species))


def _chain(drug: str, prefix: str, metabolites: bool) -> tuple[tuple[str, str], ...]:
    """``(species, prefix)`` of each species simulated for ``drug`` with role prefix ``prefix``: with
    ``metabolites``, the library chain (:func:`popsim.drugs.library.species`) of the arm's drug (``""``) and of a
    second benzodiazepine (``"B_"``); else, and for the other co-medications, the drug alone."""
    chain = species(drug) if metabolites and prefix in ("", "B_") else (drug,)
    return tuple(zip(chain, chain_prefixes(len(chain), prefix)))


def second_benzodiazepine(drug: str, others: tuple[tuple[str, str], ...]) -> str | None:
    """The second GABA-A agonist among the co-medications ``others`` of an arm of ``drug`` (role ``B_``), or None.

    At most one, and not ``drug`` itself (a ``ValueError`` naming ``others`` and the allowed drugs).  A species of
    both chains (oxazepam of an arm of oxazepam with diazepam as ``B_``) is simulated in each; the model is linear
    and both copies have the subject's parameters, so its concentration is the sum of the two outputs."""
    b = [o for o, _ in others if role_prefix(o) == "B_"]
    if len(b) > 1 or drug in b:
        raise ValueError(f"others={list(others)}: at most one second benzodiazepine, not the arm's drug {drug!r}; "
                         f"allowed: one of {[n for n in gaba_agonists() if n != drug]}")
    return b[0] if b else None


def risk_model(n_species: int, others: tuple[tuple[str, str], ...] = (), scores: tuple[Score, ...] = (), *,
               metabolites: bool = True) -> Risk:
    """The :class:`Risk` PD model for a benzodiazepine chain of ``n_species`` and co-medications ``others``, with
    ``scores`` after the default ones (:data:`popsim.pd.risk.SCORES`).  A second benzodiazepine among ``others``
    (role ``B_``, with its library metabolites if ``metabolites``) adds its species' effect sites ``B_effect``,
    ``B_M1_effect``, ... to the GABA-A agonist sites.  The respiratory score
    (:class:`popsim.pd.ventilation.Ventilation`) is stepped only with an opioid among ``others`` or when named
    in ``scores``: its CO2 states are stiff on an hourly grid and made the regimen sweep P2 seven times slower
    (measured 37.3 vs 5.2 s at 512 subjects), for outputs that no experiment without an opioid reads."""
    roles = [role_prefix(d) for d, _ in others]
    dup = sorted({r for r in roles if roles.count(r) > 1})
    if dup:
        raise ValueError(f"co-medications {[d for d, _ in others]}: at most one opioid, one naloxone, one "
                         "flumazenil, one second benzodiazepine and ethanol once")
    second = tuple(P for d, _ in others if role_prefix(d) == "B_" for _, P in _chain(d, "B_", metabolites))
    sites = tuple(f"{P}effect" for P in chain_prefixes(n_species) + second)
    gaba = GabaAdaptation(sites=sites, adapted=("a1",), antagonist="Z_effect" if "Z_" in roles else None,
                          ethanol="ethanol" if "E_" in roles else None)
    mu = MuReceptor("O_effect", "N_effect" if "N_" in roles else None, prefix="O_") if "O_" in roles else None
    if "N_" in roles and mu is None:
        raise ValueError("naloxone is given without an opioid; add an opioid co-medication")
    respiratory = mu is not None or any(isinstance(s, Ventilation) for s in scores)
    default = tuple(s for s in SCORES if respiratory or not isinstance(s, Ventilation))
    return Risk(gaba, mu, EthanolMM("gut") if "E_" in roles else None,
                default + tuple(s for s in scores if s not in default))


def metabolite_outputs(drug: str, prefix: str = "") -> dict[str, str]:
    """The grid output of each library metabolite of ``drug`` (``M1_central``, ``M2_central``, ... in chain order;
    ``B_M1_central``, ... with ``prefix="B_"``, a second benzodiazepine)."""
    chain = species(drug)
    return {m: f"{P}central" for m, P in zip(chain[1:], chain_prefixes(len(chain), prefix)[1:])}


def _chain_model(drug: str, route: str, prefix: str, metabolites: bool, pd: bool, child: str | None = None):
    """The linear model of ``drug`` (and its chain, :func:`_chain`) by ``route`` with prefix ``prefix``, its input
    channel and its outputs (central concentrations of each species; with ``child`` ``"fetus"`` or ``"infant"``,
    the child's compartments of :func:`popsim.pk.model.child_chain` and their concentrations after them)."""
    chain, oral = _chain(drug, prefix, metabolites), route != "iv"
    if oral and route not in load(drug).routes:
        raise ValueError(f"{drug} route={route!r}; allowed: {sorted(load(drug).routes)}")
    names, prefixes = zip(*chain)
    model = parent_metabolite_chain(tuple(load(m).n_cmt for m in names), oral=oral, prefixes=prefixes, effect=pd)
    lag = f"{prefix}ALAG" if oral and load(drug).routes[route].lag is not None else None
    channel = Channel(f"{prefix}depot" if oral else f"{prefix}central", f=f"{prefix}F" if oral else None, lag=lag)
    outputs = tuple(f"{P}central" for P in prefixes)
    if child is not None:
        n = model.n
        model = child_chain(model, prefixes, child)
        outputs += model.names[n:]
    return model, channel, outputs


def victim_spec(drug: str, route: str, dt: float, n_steps: int, *, segment_steps: int = 0,
                windows: tuple[Window, ...] = (), save: bool = False, metabolites: bool = True,
                others: tuple[tuple[str, str], ...] = (), pd: bool = False, scores: tuple[Score, ...] = (),
                child: Child | None = None) -> GridSpec:
    """The grid for a library drug by one route (parameters change every ``segment_steps`` steps if > 0).

    With ``metabolites``, the drug's chain of library metabolites is simulated too
    (:func:`popsim.pk.model.parent_metabolite_chain`); outputs are the central
    concentrations of each species, ``central``, ``M1_central``, ... (mg/L of
    that species).  ``others``: co-medications ``(drug, route)`` (an opioid,
    naloxone, flumazenil, ethanol, a second benzodiazepine; prefixes by
    :func:`popsim.pd.parameters.role_prefix`), each with its own input channel
    after the drug's.  A second benzodiazepine (:func:`second_benzodiazepine`)
    is a chain like the drug's, prefixed ``B_``: compartments and outputs
    ``B_central``, ``B_M1_central``, ... (and ``B_depot``, ``B_periph1``, ...).
    With ``pd``, every species has an effect compartment (outputs ``effect``,
    ``M1_effect``, ``B_effect``, ``B_M1_effect``, ``O_effect``, ...) and the
    grid steps :func:`risk_model` (with ``scores`` after the default ones).
    With ``child`` (:class:`popsim.params.child.Child`), the drug's chain has a fetus or a breast-fed
    infant (outputs ``fetus``, ``M1_fetus``, ... or ``milk``, ``infant``, ``M1_milk``, ``M1_infant``, ...; the
    ``milk`` output is the amount in the infant's gut, mg, read with unit volume), whose two parameter segments
    are the grid's (``segment_steps`` must then be 0).
    """
    second_benzodiazepine(drug, others)
    if child is not None and segment_steps:
        raise ValueError("a child's parameter segments (birth, feeds) cannot be combined with a perpetrator's")
    seg = tuple(k // segment_steps for k in range(n_steps)) if segment_steps else None
    if child is not None:
        if len(child.segments) != n_steps:
            raise ValueError(f"child segments cover {len(child.segments)} steps; the grid has {n_steps}")
        seg = child.segments
    model, channel, outputs = _chain_model(drug, route, "", metabolites, pd, child.kind if child else None)
    channels = [channel]
    for other, other_route in others:
        P = role_prefix(other)
        if other == "ethanol":
            if not pd:
                raise ValueError("ethanol is simulated by the PD layer (Michaelis-Menten); set pd=True")
            if other_route != "oral":
                raise ValueError(f"ethanol route={other_route!r}; allowed: 'oral'")
            m = ethanol_gut()
            model = LinearModel(model.compartments + m.compartments, model.flows + m.flows)
            channels.append(Channel("gut", f="E_F"))
            outputs += ("gut",)
            continue
        m, channel, out = _chain_model(other, other_route, P, metabolites, pd)
        model = LinearModel(model.compartments + m.compartments, model.flows + m.flows)
        channels.append(channel)
        outputs += out
    risk = None
    if pd:
        risk = risk_model(len(_chain(drug, "", metabolites)), others, scores, metabolites=metabolites)
        outputs += tuple(o for o in risk.inputs if o not in outputs)
    return GridSpec(model, dt, n_steps, tuple(channels), outputs=outputs, windows=windows, save=save,
                    segment_of_step=seg, pd=risk)


def _entry(name: str, lib: Mapping[str, Array]):
    """The library entry ``name`` and its lipophilicity (None: the entry's own) in one parameter draw: its values
    in ``lib`` (``"<name>.<key path>"``, :func:`popsim.uncertainty.library_draws`) set by
    :func:`popsim.drugs.library.with_values`, or the entry as it is when ``lib`` has none."""
    mine = {k.split(".", 1)[1]: v for k, v in lib.items() if k.split(".", 1)[0] == name}
    if not mine:
        return load(name), None
    logp = mine.pop("lipophilicity")
    return with_values(load(name), mine), logp


@dataclasses.dataclass(frozen=True)
class Physiological:
    """Subjects of a cohort taking ``drug`` by ``route`` (see the module docstring).

    ``dt`` and ``n_steps`` are the grid's; ``segment_steps`` the length of a
    parameter segment in steps (needed with a perpetrator; enzyme activity is
    averaged over each segment).  ``metabolites``: also derive the parameters
    of the drug's library metabolites (prefixes ``M1_``, ``M2_``; ``M1_FM`` the
    mass of metabolite formed per mass of parent cleared, from the fraction
    formed and the molar masses), for :func:`victim_spec` with
    ``metabolites=True``.  Call signature as
    :class:`popsim.simulate.TypicalIIV`, with ``args = (cohort_stream,
    iiv_stream, perpetrator_doses)``: the last a ``(time,)`` array of the
    perpetrator's doses (mg per step; zeros for a control arm), so arms and
    perpetrator regimens share one compiled program.  ``others``: co-medications
    ``(drug, route)`` as in :func:`victim_spec` (their PK from the same
    physiology and enzyme activities, prefixed; a second benzodiazepine's
    metabolites as the drug's, ``B_M1_CL``, ``B_M1_FM``, ...; every species'
    IIV is keyed by its name, so diazepam as ``B_`` has the same parameters
    as diazepam as the drug in the same subject).  With ``pd`` the parameters of
    :func:`risk_model` are added (:mod:`popsim.pd.parameters`) and ``args``
    has a fourth element, the runtime PD constants
    (:func:`popsim.pd.parameters.check_values`, as arrays); the fifth, the drug library's values of a
    parameter draw (:class:`SubjectArgs`), replaces those of each species' entry (:func:`_entry`).  With a
    perpetrator, the lowest activity each enzyme reaches is an output (``cyp3a4_liver_min``, ... in
    ``params``: it follows the perpetrator's drawn PK, so it is not a covariate).
    """

    drug: str
    route: str
    cohort: tuple
    dt: float
    n_steps: int
    segment_steps: int = 0
    perpetrator: Perpetrator | None = None
    metabolites: bool = True
    others: tuple[tuple[str, str], ...] = ()
    pd: bool = False
    child: Child | None = None

    def __post_init__(self):
        load(self.drug)
        second_benzodiazepine(self.drug, self.others)
        for other, _ in self.others:
            if other == "ethanol" and not self.pd:
                raise ValueError("ethanol is simulated by the PD layer (Michaelis-Menten); set pd=True")
        if self.perpetrator is not None and self.segment_steps < 1:
            raise ValueError("a perpetrator needs segment_steps >= 1 (the victim's parameters change over time)")

    @property
    def n_segments(self) -> int:
        if self.child is not None:
            return 2
        return -(-self.n_steps // self.segment_steps) if self.segment_steps else 1

    def __call__(self, i, args, dtype):
        iiv_stream, doses = args.iiv_stream, args.perpetrator_doses
        cov = sample_subject(CohortConfig(**{k: list(v) if isinstance(v, tuple) else v for k, v in self.cohort}),
                             args.cohort_stream, i)
        cov = {k: v.astype(dtype) for k, v in cov.items()}
        phys = physiology(cov)
        ones = jnp.ones(self.n_segments, dtype)
        a_liver = {e: ones for e, sites in SITES.items() if "liver" in sites}
        a_gut = {e: ones for e, sites in SITES.items() if "gut" in sites}
        if self.perpetrator is not None:
            act = self._activity(cov, phys, i, iiv_stream, doses, args.library_values)
            a_liver, a_gut = a_liver | act["liver"], a_gut | act["gut"]
        lib = args.library_values
        params = self._chain_parameters(self.drug, self.route, "", phys, i, iiv_stream, a_liver, a_gut, lib, dtype)
        if self.child is not None:
            params |= child_parameters(self.child, _chain(self.drug, "", self.metabolites), cov, phys, params,
                                       iiv_stream, i, dtype)
        for other, route in self.others:
            if other == "ethanol":
                continue  # its parameters are PD parameters (the linear part is only the gut depot)
            params |= self._chain_parameters(other, route, role_prefix(other), phys, i, iiv_stream, a_liver, a_gut,
                                             lib, dtype)
        if self.pd:
            params |= self._pd_parameters(cov, phys, i, iiv_stream, args.pd_values, dtype)
        covariates = cov | {"body_fat": body_fat_fraction(cov["bmi"], cov["age"], cov["male"])}
        if self.perpetrator is not None:  # outputs, not covariates: they follow the perpetrator's drawn PK
            params |= {f"{e}_{site}_min": a[e].min() for site, a in (("liver", a_liver), ("gut", a_gut)) for e in a}
        return {k: jnp.broadcast_to(v, (self.n_segments,)).astype(dtype) for k, v in params.items()}, covariates

    def _chain_parameters(self, drug, route, prefix, phys, i, iiv_stream, a_liver, a_gut, lib, dtype):
        """PK parameters of ``drug`` by ``route`` and of its chain (:func:`_chain`), prefixed (:func:`chain_prefixes`);
        a metabolite's with ``{P}FM`` (mg formed per mg of its parent cleared), each species' IIV keyed by its name;
        ``lib`` the library values of a parameter draw (:func:`_entry`)."""
        chain = _chain(drug, prefix, self.metabolites)
        out, parent = {}, None
        for k, (name, P) in enumerate(chain):
            d, logp = _entry(name, lib)
            eta = etas({key: q.value for key, q in d.iiv.items()}, iiv_stream, i, dtype, prefix=f"{name}.")
            if k == 0:
                p = jax.vmap(lambda al, ag: pk_parameters(d, route, phys, eta, al, ag, logp))(a_liver, a_gut)
            else:  # formed in the body: systemic parameters, hepatic enzymes only
                p = jax.vmap(lambda al: pk_parameters(d, "iv", phys, eta, al, logp=logp))(a_liver)
                p["FM"] = jnp.full(self.n_segments, formed_mass_fraction(parent, d), dtype)
            out |= {f"{P}{key}": v for key, v in p.items()}
            parent = d
        return out

    def _pd_parameters(self, cov, phys, i, iiv_stream, values, dtype):
        sd = PD["iiv_ec50"].value
        cv = {"kd": (math.expm1(sd**2)) ** 0.5, "kon": (math.expm1(sd**2)) ** 0.5}
        eta = etas(cv, iiv_stream, i, dtype, prefix="pd.")
        # GABA-A agonists: the drug's chain and a second benzodiazepine's, one potency eta for all
        agonists = [(self.drug, "")] + [(o, "B_") for o, _ in self.others if role_prefix(o) == "B_"]
        names, prefixes = zip(*(x for d, P in agonists for x in _chain(d, P, self.metabolites)))
        out = gaba_parameters(names, prefixes, cov["age"], phys, eta["kd"], values)
        for other, _ in self.others:
            if role_prefix(other) == "B_":
                continue
            if other == "ethanol":
                cv = {"vmax": ETHANOL["iiv_vmax"].value}
                out |= ethanol_parameters(phys, etas(cv, iiv_stream, i, dtype, prefix="ethanol.")["vmax"],
                                          values["ethanol_vmax_ratio"], values["ethanol_ec50"])
            else:
                # a chronic opioid user (cohort covariate ``opioid``) is tolerant: opioid C50 x the runtime ratio
                tolerance = jnp.where(cov["opioid"] > 0.5, values["opioid_tolerance_c50_ratio"], 1.0)
                out |= comedication_parameters(other, phys, eta["kon"], tolerance)
        # the withdrawal susceptibility: a standard-normal latent trait (withdrawal_sigma scales it)
        z = etas({"withdrawal": math.sqrt(math.e - 1.0)}, iiv_stream, i, dtype, prefix="pd.")["withdrawal"]
        return out | score_parameters(cov["age"], cov["male"], values, cov["alcohol"], z)

    def _activity(self, cov, phys, i, iiv_stream, doses, lib):
        p, dtype = self.perpetrator, doses.dtype
        perp, logp = _entry(p.drug, lib)
        eta = etas({k: q.value for k, q in perp.iiv.items()}, iiv_stream, i, dtype, prefix=f"{perp.name}.")
        pp = pk_parameters(perp, p.route, phys, eta, logp=logp)
        spec = victim_spec(p.drug, p.route, self.dt, self.n_steps, save=True, metabolites=False)
        ker = jax.tree_util.tree_map(lambda x: x[None], kernels(spec, pp))
        c_sys = simulate_one(spec, ker, doses[:, None])["conc"]["central"]
        if p.route == "oral":
            # Amount still in the gut lumen, left limits.
            decay = jnp.exp(-pp["KA"] * self.dt)
            _, gut = jax.lax.scan(lambda a, d: ((a + d) * decay, a), jnp.zeros((), dtype), doses)
            ka = pp["KA"]
        else:
            gut, ka = jnp.zeros_like(c_sys), jnp.zeros((), dtype)
        liver_um, gut_um = inhibitor_concentrations(perp, c_sys, gut, ka, phys["qh_l_h"])
        on = cov["perpetrator"]
        pad = self.n_segments * self.segment_steps - self.n_steps

        def segments(a):  # taken by this subject or not; averaged over each parameter segment
            a = 1.0 - on * (1.0 - a)
            a = jnp.concatenate([a, jnp.repeat(a[-1:], pad)]).reshape(self.n_segments, self.segment_steps)
            return a.mean(axis=1)

        return {site: {e: segments(a) for e, a in by_enzyme.items()}
                for site, by_enzyme in activities(perp, liver_um, gut_um, self.dt).items()}


class SubjectArgs(NamedTuple):
    """The runtime inputs of :class:`Physiological` (arrays: new values never recompile)."""

    cohort_stream: Array  # key of the covariate stream (popsim.keys.stream_key(root, "cohort"))
    iiv_stream: Array  # key of the random-effect stream ("iiv")
    perpetrator_doses: Float[Array, " time"]  # mg per step of the arm's perpetrator (zeros: a control arm)
    # runtime PD constants (popsim.pd.parameters.check_values), or K draws of them, each (draw,); {} without PD
    pd_values: Mapping[str, Float[Array, ""]] | Mapping[str, Float[Array, " draw"]]
    # K draws of the drug library's values, {"<drug>.<key path>": (draw,)} (popsim.uncertainty.library_draws);
    # {}: the library's own values
    library_values: Mapping[str, Float[Array, " draw"]] = {}

    @property
    def draw_axes(self) -> SubjectArgs | None:
        """The draw axis for :func:`popsim.simulate.simulate` (``draw_axes``): the leading axis of the PD values
        and of the library values where they carry draws, else None."""
        pd = 0 if any(jnp.ndim(v) for v in self.pd_values.values()) else None
        lib = 0 if any(jnp.ndim(v) for v in self.library_values.values()) else None
        return None if pd is None and lib is None else SubjectArgs(None, None, None, pd, lib)


@dataclasses.dataclass(frozen=True)
class Arm:
    """One arm of a study: who, what, on which grid.

    ``cohort``: a :class:`popsim.cohort.spec.CohortConfig` or a preset name.
    ``drug`` by ``route`` (its library metabolites too, with ``metabolites``);
    ``others``: co-medications ``(drug, route)`` (an opioid, naloxone,
    flumazenil, ethanol, and a second benzodiazepine other than ``drug``, e.g.
    diazepam substituted for alprazolam in a taper: prefix ``B_``, its
    metabolites ``B_M1_``, ... (with ``metabolites``, as the drug's), each
    species a GABA-A agonist site; see :func:`victim_spec`), each with its own
    input channel after the drug's.
    ``perpetrator``: a CYP3A4/CYP2C19 perpetrator by ``perpetrator_route``, taken by the
    cohort's ``p_perpetrator`` fraction, or by everyone if that is 0 (an arm of
    a DDI study: the same people as the control arm without a perpetrator);
    the drug's parameters then follow the enzyme activities hour by hour (every step
    on grids coarser than 1 h).  ``pd``: GABA-A, mu-receptor and risk-score
    models in the time loop; ``scores``: risk scores stepped after the default ones (e.g.
    ``(SeizureTermination(),)``, :mod:`popsim.pd.seizure`; with ``pd`` only).  ``child``: a fetus or a
    breast-fed infant of each woman (:class:`popsim.params.child.Child`; not with a perpetrator).  Grid:
    ``n_steps`` points ``dt`` hours apart.
    """

    drug: str
    route: str
    cohort: CohortConfig | str
    dt: float
    n_steps: int
    others: tuple[tuple[str, str], ...] = ()
    perpetrator: str | None = None
    perpetrator_route: str = "oral"
    pd: bool = True
    metabolites: bool = True
    scores: tuple[Score, ...] = ()
    child: Child | None = None

    def __post_init__(self):
        if self.child is not None:
            if self.perpetrator is not None:
                raise ValueError("an arm with a child (fetus or infant) cannot have a perpetrator (both change the "
                                 "parameters over time)")
            if any(role_prefix(o) == "B_" for o, _ in self.others):
                raise ValueError(f"an arm with a child: the second benzodiazepine in others={list(self.others)} "
                                 "has no child compartments; allowed: no second benzodiazepine")
            if self.child.kind == "infant" and "oral" not in load(self.drug).routes:
                raise ValueError(f"a breast-fed infant of a mother on {self.drug}: the infant's absorption is the "
                                 f"drug's oral one, which the library lacks; allowed: {self.drug} with an oral route")
            check_cohort(self.child.kind, self.cohort_config)
        if self.scores and not self.pd:
            raise ValueError(f"scores {[type(x).__name__ for x in self.scores]} are PD; set pd=True")
        second_benzodiazepine(self.drug, tuple(self.others))

    @property
    def cohort_config(self) -> CohortConfig:
        c = preset(self.cohort) if isinstance(self.cohort, str) else self.cohort
        if self.perpetrator is not None and c.p_perpetrator == 0:
            c = dataclasses.replace(c, p_perpetrator=1.0)
        return c

    @property
    def segment_steps(self) -> int:
        """Steps per parameter segment: 1 h with a perpetrator (at least one step), else none."""
        return max(1, round(1.0 / self.dt)) if self.perpetrator is not None else 0

    def species(self) -> set[str]:
        """The library entries the arm simulates: its drug's chain, each co-medication's (a second
        benzodiazepine's chain) and the perpetrator."""
        chains = [_chain(self.drug, "", self.metabolites)] + [_chain(o, role_prefix(o), self.metabolites)
                                                              for o, _ in self.others if o != "ethanol"]
        return {n for chain in chains for n, _ in chain} | ({self.perpetrator} if self.perpetrator else set())

    def model(self) -> Physiological:
        perp = Perpetrator(self.perpetrator, self.perpetrator_route) if self.perpetrator is not None else None
        return Physiological(self.drug, self.route, frozen_cohort(self.cohort_config), self.dt, self.n_steps,
                             segment_steps=self.segment_steps, perpetrator=perp, metabolites=self.metabolites,
                             others=tuple(self.others), pd=self.pd, child=self.child)

    def spec(self, windows: tuple[Window, ...] = (), **grid) -> GridSpec:
        """The arm's :class:`popsim.pk.grid.GridSpec`; ``grid``: further GridSpec fields (save, saved, ...)."""
        grid = dict(grid)
        spec = victim_spec(self.drug, self.route, self.dt, self.n_steps, windows=windows, others=tuple(self.others),
                           pd=self.pd, metabolites=self.metabolites, segment_steps=self.segment_steps,
                           save=grid.pop("save", False), scores=tuple(self.scores), child=self.child)
        return dataclasses.replace(spec, **grid) if grid else spec

    def args(self, seed: int, dtype, perpetrator_doses=None, values: Mapping[str, object] | None = None) -> SubjectArgs:
        """The runtime inputs for ``seed``: perpetrator doses ``(time,)`` mg per step, PD constants (scalars,
        or parameter draws: ``(draw,)`` arrays, with scalars held fixed, each draw validated by
        :func:`popsim.pd.parameters.check_draws`; names with a dot, ``"<drug>.<key path>"``, are draws of the
        drug library's values, :func:`popsim.uncertainty.library_draws`, for the PK of every species)."""
        if perpetrator_doses is not None and self.perpetrator is None:
            raise ValueError(f"perpetrator doses for an arm of {self.drug} without a perpetrator")
        if self.pd and values is None:
            raise ValueError(f"an arm of {self.drug} with PD needs the runtime PD constants (values=...)")
        doses = np.zeros(self.n_steps) if perpetrator_doses is None else np.asarray(perpetrator_doses, float)
        if doses.shape != (self.n_steps,):
            raise ValueError(f"perpetrator doses have shape {doses.shape}; expected ({self.n_steps},)")
        # the library's values of the arm's own species (a PK-only arm reads no others)
        species_ = self.species()
        values = {k: v for k, v in (values or {}).items()
                  if ("." not in k and self.pd) or k.split(".", 1)[0] in species_}
        library_ = {k.split(".", 1)[0] for k in values if "." in k}
        if library_ and self.child is not None:
            raise ValueError(f"library values of {sorted(library_)} for an arm with a {self.child.kind}: the child's "
                             "parameters are not drawn; allowed: no library values (n_draws with draws_of=[pd])")
        missing = sorted(d for d in library_ if f"{d}.lipophilicity" not in values)
        if missing:
            raise ValueError(f"library values of {missing} without {missing[0]}.lipophilicity (the tissue model's "
                             "log P refitted to each drawn Vss); allowed: values from popsim.uncertainty.library_draws")
        if any(np.ndim(v) for v in values.values()):
            values = check_draws(values)
        else:
            for k, v in values.items():
                if "." in k:
                    check_value(k, v)
        values = {k: jnp.asarray(v, dtype) for k, v in values.items()}
        root = root_key(seed)
        return SubjectArgs(stream_key(root, "cohort"), stream_key(root, "iiv"), jnp.asarray(doses, dtype),
                           {k: v for k, v in values.items() if "." not in k},
                           {k: v for k, v in values.items() if "." in k})


@dataclasses.dataclass(frozen=True)
class ArmOutput:
    """What :func:`run_arm` returns: summaries read by window name and output or signal name.

    ``raw`` is the dict of :func:`popsim.simulate.simulate`; ``windows`` the
    window names in the spec's order.  numpy arrays, ``(regimen, subject)``
    (``(regimen, draw, subject)`` with parameter draws) unless stated.
    """

    spec: GridSpec
    windows: tuple[str, ...]
    raw: dict

    def stat(self, stat: str, window: str, name: str) -> np.ndarray:
        """One summary: ``stat`` in ``cmax``, ``cmin``, ``auc``, ``c_end`` (``name`` an output) or
        ``pd_end``, ``pd_max``, ``pd_min``, ``pd_mean``, ``pd_tmax`` (``name`` a PD signal; all but
        ``pd_end`` only for the spec's summarised signals) over the window named ``window``."""
        if window not in self.windows:
            raise ValueError(f"window {window!r}; this arm has {list(self.windows)}" + closest(window, self.windows))
        if stat in ("cmax", "cmin", "auc", "c_end"):
            names = self.spec.outputs
        elif stat == "pd_end":
            names = tuple(self.spec.pd.signals)
        elif stat in ("pd_max", "pd_min", "pd_mean", "pd_tmax"):
            names = tuple(self.spec.summarised if self.spec.summarised is not None else self.spec.pd.signals)
        else:
            raise ValueError(f"stat {stat!r}; allowed: cmax, cmin, auc, c_end, pd_end, pd_max, pd_min, pd_mean, "
                             "pd_tmax")
        if name not in names:
            raise ValueError(f"{stat} of {name!r}; allowed: {list(names)}" + closest(name, names))
        return self.raw[stat][self.windows.index(window), names.index(name)]

    def above(self, signal_threshold: tuple[str, float]) -> tuple[np.ndarray, np.ndarray]:
        """Time above (h) and first time above (h, NaN if never) of a ``pd_above`` pair of the windows."""
        pairs = [p for w in self.spec.windows for p in w.pd_above]
        k = pairs.index(tuple(signal_threshold))
        return self.raw["pd_t_above"][0, k], self.raw["pd_t_first"][0, k]

    def time_above(self, window: str, output: str) -> np.ndarray:
        """Time (h) with ``output`` above each of the window's ``above`` thresholds, ``(threshold, regimen,
        subject)``."""
        k = self.windows.index(window)
        first = sum(len(w.above) for w in self.spec.windows[:k])
        return self.raw["t_above"][self.spec.outputs.index(output), first:first + len(self.spec.windows[k].above)]

    def trajectory(self, name: str) -> np.ndarray:
        """A kept trajectory ``(time, regimen, subject)``: an output's concentration or a PD signal."""
        return self.raw["pd"][name] if name in self.raw.get("pd", {}) else self.raw["conc"][name]

    @property
    def times(self) -> np.ndarray:
        """Grid times (h) of the kept trajectories."""
        return self.spec.times[self.spec.save_from:]

    @property
    def params(self) -> dict:
        return self.raw["params"]

    @property
    def covariates(self) -> dict:
        return {k: np.asarray(v) for k, v in self.raw["covariates"].items()}


def run_arm(arm: Arm, regimens: np.ndarray, *, seed: int, n_subjects: int, windows: Mapping[str, Window] | None = None,
            values: Mapping[str, float] | None = None, perpetrator_doses=None, chunk_size: int = 8192,
            dtype=jnp.float32, progress: Callable | None = None, **grid) -> ArmOutput:
    """Simulate ``n_subjects`` of ``arm`` over ``regimens``, ``(regimen, time, channel)`` (channel 0 the
    drug, then one per co-medication), in one compiled program.

    ``windows``: name -> :class:`popsim.pk.grid.Window`.  ``values``: the runtime
    PD constants (with PD), scalars or parameter draws (``(draw,)`` arrays: see :meth:`Arm.args`; every
    array of the output but the covariates then has a ``draw`` axis before the subject axis).
    ``perpetrator_doses``: ``(time,)`` mg per step of the arm's perpetrator.  ``grid``: further
    :class:`popsim.pk.grid.GridSpec` fields (``save``, ``save_from``, ``saved``, ``summarised``, ``trigger``,
    ``hold``).
    """
    windows = dict(windows or {})
    horizon = (arm.n_steps - 1) * arm.dt
    if arm.pd and values and np.any((np.asarray(values.get("prior_use_days", 0)) > 0)
                                    & (np.asarray(values.get("prior_use_burn_in_days", 0)) * 24 > horizon)):
        raise ValueError(f"pd.prior_use_burn_in_days={values['prior_use_burn_in_days']!r}: prior use is applied at "
                         f"the end of the burn-in, after this arm's horizon ({horizon:g} h); allowed: a burn-in "
                         "within the horizon")
    spec = arm.spec(tuple(windows.values()), **grid)
    args = arm.args(seed, dtype, perpetrator_doses, values)
    raw = simulate(spec, arm.model(), args, regimens, n_subjects=n_subjects, chunk_size=chunk_size, dtype=dtype,
                   progress=progress, draw_axes=args.draw_axes)
    return ArmOutput(spec, tuple(windows), raw)

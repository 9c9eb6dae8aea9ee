"""Linear compartment models as a static structure plus named parameters.

A model is a set of compartments joined by first-order flows.  Its state is the
amount in every compartment (mg), except effect compartments, whose state is a
concentration (mg/L) that follows the concentration of another compartment
with rate ke0 without taking mass from it (Sheiner 1979 link model).  The whole
system is ``dA/dt = K(p) A + r(t)``, linear in ``A``; ``K`` is built here and
propagated exactly by :mod:`popsim.pk.propagate`.

Rates are written NONMEM-style as products and quotients of parameter names,
for example ``"CL/V1"``, ``"KA"`` or ``"FM*CL/V1"`` (fraction metabolised);
a factor ``1-X`` stands for one minus parameter ``X``.
Time is in hours, amounts in mg, volumes in L, clearances in L/h, so
concentrations are mg/L (= ug/mL).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Mapping

import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from popsim._validate import closest

__all__ = [
    "Compartment",
    "child_chain",
    "Flow",
    "LinearModel",
    "mammillary",
    "parent_metabolite_chain",
]


@dataclasses.dataclass(frozen=True)
class Compartment:
    """One state of the model.

    ``volume`` names the parameter that turns its amount into a concentration
    (``None`` for a depot, whose concentration is undefined).  An effect
    compartment has ``effect_of`` (the compartment it follows) and ``ke0`` (the
    parameter name of its rate constant, 1/h); its state is already a
    concentration.
    """

    name: str
    volume: str | None = None
    effect_of: str | None = None
    ke0: str | None = None


@dataclasses.dataclass(frozen=True)
class Flow:
    """First-order transfer ``src -> dst`` with rate constant ``rate`` (1/h).

    ``dst=None`` is elimination out of the system.
    """

    src: str
    dst: str | None
    rate: str


def _name(factor: str) -> str:
    return factor[2:] if factor.startswith("1-") else factor


def _value(factor: str, p):
    return 1.0 - p[factor[2:]] if factor.startswith("1-") else p[factor]


def _factors(expr: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Split ``"A*B/C/D"`` into numerator and denominator names."""
    num, *den = [part.strip() for part in expr.split("/")]
    numerator = tuple(n.strip() for n in num.split("*"))
    if any(not n for n in numerator + tuple(den)) or any("*" in d for d in den):
        raise ValueError(
            f"rate expression {expr!r}: expected products and quotients of "
            "parameter names such as 'CL/V1' or 'FM*CL/V1'"
        )
    return numerator, tuple(den)


@dataclasses.dataclass(frozen=True)
class LinearModel:
    """Static structure of a linear compartment model (hashable, jit-static).

    Parameters are passed separately as a mapping ``name -> scalar`` so that
    the same model serves every subject; under ``vmap`` the scalars become
    per-subject arrays.
    """

    compartments: tuple[Compartment, ...]
    flows: tuple[Flow, ...]

    def __post_init__(self):
        names = self.names
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate compartment names in {names}")
        for c in self.compartments:
            if (c.effect_of is None) != (c.ke0 is None):
                raise ValueError(f"compartment {c.name!r}: effect_of and ke0 go together")
            if c.effect_of is not None:
                self.index(c.effect_of)
                if self.compartments[self.index(c.effect_of)].volume is None:
                    raise ValueError(
                        f"effect compartment {c.name!r} follows {c.effect_of!r}, "
                        "which has no volume (no concentration)"
                    )
        for f in self.flows:
            self.index(f.src)
            if f.dst is not None:
                self.index(f.dst)
            _factors(f.rate)
            if self.compartments[self.index(f.src)].effect_of is not None:
                raise ValueError(f"flow {f}: effect compartments carry no mass")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.compartments)

    @property
    def n(self) -> int:
        return len(self.compartments)

    @property
    def parameters(self) -> tuple[str, ...]:
        """Every parameter name the model reads, in first-use order."""
        seen: dict[str, None] = {}
        for f in self.flows:
            num, den = _factors(f.rate)
            seen.update(dict.fromkeys(_name(x) for x in num + den))
        for c in self.compartments:
            seen.update(dict.fromkeys(n for n in (c.volume, c.ke0) if n))
        return tuple(seen)

    def index(self, name: str) -> int:
        """Position of compartment ``name``; a clear error if unknown."""
        try:
            return self.names.index(name)
        except ValueError:
            raise ValueError(
                f"unknown compartment {name!r}; allowed: {list(self.names)}"
                + closest(name, self.names)
            ) from None

    def check_parameters(self, params: Mapping[str, object]) -> None:
        """Reject missing or unknown parameter names before any compute."""
        missing = [p for p in self.parameters if p not in params]
        if missing:
            raise ValueError(f"missing model parameters {missing}; the model reads {list(self.parameters)}")

    def rate_matrix(self, p: Mapping[str, Float[Array, ""]]) -> Float[Array, "n n"]:
        """``K`` such that ``dA/dt = K A`` (1/h) for one subject's parameters."""
        dtype = jnp.result_type(*[p[name] for name in self.parameters])
        K = jnp.zeros((self.n, self.n), dtype)
        for f in self.flows:
            num, den = _factors(f.rate)
            k = math.prod((_value(n, p) for n in num), start=jnp.ones((), dtype))
            for d in den:
                k = k / _value(d, p)
            i = self.index(f.src)
            K = K.at[i, i].add(-k)
            if f.dst is not None:
                K = K.at[self.index(f.dst), i].add(k)
        for e, c in enumerate(self.compartments):
            if c.effect_of is not None:
                src = self.index(c.effect_of)
                ke0 = p[c.ke0]
                K = K.at[e, src].add(ke0 / p[self.compartments[src].volume])
                K = K.at[e, e].add(-ke0)
        return K

    def links(self) -> np.ndarray:
        """Static structure of ``K``: ``links[i, j]`` if ``K[i, j]`` may be non-zero (i != j)."""
        L = np.zeros((self.n, self.n), bool)
        for f in self.flows:
            if f.dst is not None:
                L[self.index(f.dst), self.index(f.src)] = True
        for e, c in enumerate(self.compartments):
            if c.effect_of is not None:
                L[e, self.index(c.effect_of)] = True
        return L

    def concentration_row(self, name: str, p: Mapping[str, Float[Array, ""]]) -> Float[Array, " n"]:
        """Row vector ``c`` with ``C_name = c @ A`` (mg/L)."""
        i = self.index(name)
        c = self.compartments[i]
        if c.effect_of is not None:
            scale = jnp.ones((), jnp.result_type(p[c.ke0]))
        elif c.volume is None:
            raise ValueError(f"compartment {name!r} has no volume, so no concentration")
        else:
            scale = 1.0 / p[c.volume]
        return jnp.zeros(self.n, jnp.result_type(scale)).at[i].set(scale)


def mammillary(n_cmt: int, *, oral: bool = True, effect: bool = False, prefix: str = "") -> LinearModel:
    """One-, two- or three-compartment mammillary model.

    Compartments: ``depot`` (if ``oral``), ``central``, ``periph1``,
    ``periph2`` and ``effect`` (if ``effect``).  Parameters: ``KA`` (1/h),
    ``CL`` (L/h), ``V1`` (L), ``Q2``/``V2`` and ``Q3``/``V3`` for the
    peripheral compartments, ``KE0`` (1/h).  ``prefix`` namespaces every
    compartment and parameter (``"M_"`` -> ``M_central``, ``M_CL``) so models
    can be chained.
    """
    if n_cmt not in (1, 2, 3):
        raise ValueError(f"n_cmt={n_cmt!r}; allowed: 1, 2 or 3")
    P = prefix
    cmts = [Compartment(f"{P}central", f"{P}V1")]
    flows = [Flow(f"{P}central", None, f"{P}CL/{P}V1")]
    if oral:
        cmts.insert(0, Compartment(f"{P}depot"))
        flows.append(Flow(f"{P}depot", f"{P}central", f"{P}KA"))
    for j in range(2, n_cmt + 1):
        per = f"{P}periph{j - 1}"
        cmts.append(Compartment(per, f"{P}V{j}"))
        flows.append(Flow(f"{P}central", per, f"{P}Q{j}/{P}V1"))
        flows.append(Flow(per, f"{P}central", f"{P}Q{j}/{P}V{j}"))
    if effect:
        cmts.append(Compartment(f"{P}effect", effect_of=f"{P}central", ke0=f"{P}KE0"))
    return LinearModel(tuple(cmts), tuple(flows))


def parent_metabolite_chain(
    n_cmts: tuple[int, ...], *, oral: bool = True, prefixes: tuple[str, ...] | None = None, effect: bool = False
) -> LinearModel:
    """A parent and its metabolites, each formed from the one before.

    ``n_cmts[i]`` is the number of compartments of species ``i``; species 0 is
    the parent (with a depot if ``oral``).  A fraction ``{Pi}FM`` of species
    ``i-1``'s clearance forms species ``i`` (molar units are the caller's
    business: doses and ``FM`` in mg-equivalents of the metabolite).  The
    rest of the clearance leaves the system.  With ``effect``, every species
    has an effect compartment (``{Pi}effect``, ``{Pi}KE0``).  Default prefixes are ``""``,
    ``"M1_"``, ``"M2_"``; e.g. diazepam -> desmethyldiazepam -> oxazepam is
    ``parent_metabolite_chain((2, 1, 1))``.
    """
    prefixes = prefixes or tuple("" if i == 0 else f"M{i}_" for i in range(len(n_cmts)))
    if len(prefixes) != len(n_cmts):
        raise ValueError(f"{len(n_cmts)} species but {len(prefixes)} prefixes")
    cmts: list[Compartment] = []
    flows: list[Flow] = []
    for i, (n, P) in enumerate(zip(n_cmts, prefixes)):
        species = mammillary(n, oral=oral and i == 0, prefix=P, effect=effect)
        cmts += species.compartments
        flows += species.flows
        if i > 0:
            Q = prefixes[i - 1]
            elim = Flow(f"{Q}central", None, f"{Q}CL/{Q}V1")
            flows.remove(elim)
            flows.append(Flow(f"{Q}central", f"{P}central", f"{P}FM*{Q}CL/{Q}V1"))
            flows.append(Flow(f"{Q}central", None, f"1-{P}FM*{Q}CL/{Q}V1"))
    return LinearModel(tuple(cmts), tuple(flows))


def child_chain(mother: LinearModel, prefixes: tuple[str, ...], kind: str) -> LinearModel:
    """``mother`` (a model with a parent-metabolite chain) with the compartments of a fetus or a breast-fed
    infant added.

    Every species ``P`` of the mother's chain (``prefixes``, as :func:`parent_metabolite_chain`, whose
    ``{P}central`` the child exchanges with) gets, for ``kind``:

    * ``"fetus"``: ``{P}fetus`` (volume ``{P}VF``, fetal plasma units) exchanging with the maternal
      plasma, ``{P}central -> {P}fetus`` at ``{P}KMF`` and back at ``{P}KFM`` (placental transfer), and
      cleared by the fetus or newborn at ``{P}KN`` (1/h), a fraction ``{N}FM`` of it forming the next
      species ``N`` in the child;
    * ``"infant"``: ``{P}milk`` (the infant's gut: milk swallowed, volume ``{P}VG``) filled from the
      mother's plasma at ``{P}KMILK`` (milk secretion during feeds: the mass leaves the mother), absorbed
      into ``{P}infant`` (volume ``{P}VI``) at ``{P}FI*{P}KAI`` (the rest is not absorbed), which clears at
      ``{P}KI``, a fraction ``{N}FM`` forming the next species.

    Rates change with the parameter segment (placenta cut at birth, milk only during feeds).
    """
    if kind not in ("fetus", "infant"):
        raise ValueError(f"child kind={kind!r}; allowed: 'fetus', 'infant'")
    cmts: list[Compartment] = list(mother.compartments)
    flows: list[Flow] = list(mother.flows)
    for i, P in enumerate(prefixes):
        nxt = prefixes[i + 1] if i + 1 < len(prefixes) else None
        if kind == "fetus":
            body, k = f"{P}fetus", f"{P}KN"
            cmts.append(Compartment(body, f"{P}VF"))
            flows += [Flow(f"{P}central", body, f"{P}KMF"), Flow(body, f"{P}central", f"{P}KFM")]
        else:
            body, k = f"{P}infant", f"{P}KI"
            cmts += [Compartment(f"{P}milk", f"{P}VG"), Compartment(body, f"{P}VI")]
            flows += [Flow(f"{P}central", f"{P}milk", f"{P}KMILK"), Flow(f"{P}milk", body, f"{P}FI*{P}KAI"),
                      Flow(f"{P}milk", None, f"1-{P}FI*{P}KAI")]
        if nxt is None:
            flows.append(Flow(body, None, k))
        else:
            flows += [Flow(body, f"{nxt}{kind}", f"{nxt}FM*{k}"), Flow(body, None, f"1-{nxt}FM*{k}")]
    return LinearModel(tuple(cmts), tuple(flows))

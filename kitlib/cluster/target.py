"""Which cluster an operation is about, and how to make it: explicit arguments first, then
the cluster this process brought up, then the environment, then the defaults.

``resolve`` is the only place the environment variables are read. They are how a notebook
kernel (or a grading kernel) learns its defaults without arguments:

    KIT_CLUSTER     cluster name (default "kit")
    KIT_PROVIDER    kind, kwok or existing (default: chosen, see ``choose_provider``)
    KIT_KUBECONFIG  the existing provider's source kubeconfig
    KIT_CONTEXT     ... and the context in it
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from kitlib.cluster.base import DEFAULT_NAME

NAME_ENV, PROVIDER_ENV = "KIT_CLUSTER", "KIT_PROVIDER"
KUBECONFIG_ENV, CONTEXT_ENV = "KIT_KUBECONFIG", "KIT_CONTEXT"

_in_use: str | None = None      # set by cluster.up(name=...), cleared by its down()


@dataclass(frozen=True)
class Target:
    name: str
    provider: str | None          # None: choose one (record, kubeconfig, Docker)
    kubeconfig: str | None        # the existing provider's source
    context: str | None


def resolve(name: str | None = None, provider: str | None = None,
            kubeconfig: str | None = None, context: str | None = None) -> Target:
    """Fill in what was not given. An explicit kubeconfig is an explicit choice of the
    existing provider (it wins over $KIT_PROVIDER)."""
    env = os.environ
    if kubeconfig and not provider:
        provider = "existing"
    return Target(name=name or _in_use or env.get(NAME_ENV) or DEFAULT_NAME,
                  provider=(provider or env.get(PROVIDER_ENV) or "").strip().lower() or None,
                  kubeconfig=kubeconfig or env.get(KUBECONFIG_ENV) or None,
                  context=context or env.get(CONTEXT_ENV) or None)


def use(name: str) -> None:
    """Make ``name`` this process's default cluster."""
    global _in_use
    _in_use = name


def forget(name: str) -> None:
    """``name`` was removed: if it was this process's default, the environment's is again."""
    global _in_use
    if _in_use == name:
        _in_use = None

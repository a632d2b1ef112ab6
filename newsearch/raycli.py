"""``--ray`` and ``--replicas`` of ``query``, ``show``, ``similar`` and ``serve``: where the shard
actors search (search/cluster.py). Kept out of ``newsearch/cli.py`` so the commands only pass
one value on."""
from __future__ import annotations

from typing import NamedTuple

import click


class RayTarget(NamedTuple):
    """Where ``--ray`` searches: the cluster's address (or ``local``) and actors per shard."""

    address: str
    replicas: int = 1


def _ray_target(ctx, param, address):
    replicas = ctx.meta.pop("newsearch.replicas", 1)
    if not address and replicas != 1:
        raise click.UsageError("--replicas gibt es nur mit --ray.", ctx)
    return RayTarget(address, replicas) if address else None


def ray_options(command):
    """``--ray ADRESSE`` and ``--replicas N``: the command gets ``ray``, a ``RayTarget`` or None."""
    command = click.option(
        "--ray", metavar="ADRESSE", default=None, callback=_ray_target,
        help="Die Indexabschnitte als Ray-Aktoren durchsuchen: local startet ein lokales Ray, sonst die Adresse "
             "eines laufenden Clusters (ray start --head). Braucht newsearch[cluster].")(command)
    return click.option(
        "--replicas", type=click.IntRange(1, 16), default=1, show_default=True, metavar="ZAHL", is_eager=True,
        expose_value=False, callback=lambda ctx, param, value: ctx.meta.update({"newsearch.replicas": value}),
        help="Mit --ray: so viele Aktoren je Indexabschnitt, jeder auf einem anderen Knoten; antwortet "
             "einer nicht, fragt die Suche den nächsten.")(command)

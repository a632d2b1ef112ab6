"""Joining Ray: the one piece that building (indexer/shard_runs.py) and searching (search/cluster.py)
both need.

It sits in ``indexer/``, the lowest layer that uses Ray, so that ``search/`` can import it and
``indexer/`` never imports ``search/``. Ray is the optional extra ``newsearch[cluster]``: it is
imported only when ``--ray`` is given, and its absence is a German sentence, not a traceback.
"""
from __future__ import annotations

from indexer.errors import NewsearchError

NAMESPACE = "newsearch"  # the shard actors' names live here (search/cluster.py)


def ray_module():
    """The ``ray`` package, or a ``NewsearchError`` saying how to install it."""
    try:
        import ray
    except ImportError:
        raise NewsearchError("--ray braucht Ray: pip install 'newsearch[cluster]'") from None
    return ray


def connect(address: str) -> None:
    """Start a local Ray (``local``) or join the cluster at ``address`` (``ray start --head`` prints it)."""
    ray = ray_module()
    if ray.is_initialized():
        return
    try:
        ray.init(address=None if address == "local" else address, namespace=NAMESPACE,
                 include_dashboard=False, log_to_driver=False, configure_logging=False)
    except (ConnectionError, RuntimeError, ValueError) as err:
        raise NewsearchError(f"Der Ray-Cluster unter {address} ist nicht erreichbar: {err}") from err

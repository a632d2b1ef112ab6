"""Joining Ray: the one piece that building (indexer/shard_runs.py) and searching (search/cluster.py)
both need.

It sits in ``indexer/``, the lowest layer that uses Ray, so that ``search/`` can import it and
``indexer/`` never imports ``search/``. Ray is the optional extra ``newsearch[cluster]``: it is
imported only when ``--ray`` is given, and its absence is a German sentence, not a traceback.
"""
from __future__ import annotations

import logging

from indexer.errors import NewsearchError

NAMESPACE = "newsearch"  # the shard actors' names live here (search/cluster.py)
# Ray 2.59+ turns token authentication on for a local Ray it starts and says so in English on
# stderr through this logger ("Token authentication is enabled for this Ray cluster. Set
# RAY_AUTH_MODE=disabled to opt out…"), in the middle of our German output: a notice about a
# default, nothing for the user to act on. Only that notice is dropped (``_DefaultAuthNotice``);
# Ray's other warnings and errors, on this logger too, still reach the user.
AUTH_LOGGER = "ray._private.authentication.authentication_token_setup"
AUTH_ON_NOTICE = "Token authentication is enabled for this Ray cluster"


class _DefaultAuthNotice(logging.Filter):
    """Drops Ray's English notice that it turned token authentication on by default."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(AUTH_ON_NOTICE)


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
    auth = logging.getLogger(AUTH_LOGGER)
    if not any(isinstance(existing, _DefaultAuthNotice) for existing in auth.filters):
        auth.addFilter(_DefaultAuthNotice())
    try:
        ray.init(address=None if address == "local" else address, namespace=NAMESPACE,
                 include_dashboard=False, log_to_driver=False, configure_logging=False)
    except (ConnectionError, RuntimeError, ValueError) as err:
        raise NewsearchError(f"Der Ray-Cluster unter {address} ist nicht erreichbar: {err}") from err

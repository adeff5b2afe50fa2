"""The gateway's route table: every API family's routes, built for one policy.

A path with no route is decided by policy (blocked, or passed through with
every string scanned).
"""

from __future__ import annotations

from policies import Policy

from .codecs.assistants import routes as assistants_routes
from .codecs.batches import RouteCodecs
from .codecs.batches import routes as batches_routes
from .codecs.chat import routes as chat_routes
from .codecs.completions import routes as completions_routes
from .codecs.conversations import routes as conversations_routes
from .codecs.embeddings import routes as embeddings_routes
from .codecs.files import routes as files_routes
from .codecs.misc import routes as misc_routes
from .codecs.responses import routes as responses_routes
from .codecs.vector_stores import routes as vector_stores_routes
from .routing import Route, RouteMatch, match_route

__all__ = ["Route", "RouteMatch", "build_routes", "match_route"]


def build_routes(policy: Policy) -> list[Route]:
    """Every family's routes; codecs that follow a policy setting get the policy here.

    Batch input files hold requests for other routes: the files codec finds
    each line's codec in this same table, handed over once it is built.
    """
    batch_lines = RouteCodecs(policy)
    table = [
        *chat_routes(),
        *assistants_routes(),
        *responses_routes(),
        *conversations_routes(),
        *files_routes(policy, batch_lines),
        *batches_routes(),
        *vector_stores_routes(),
        *embeddings_routes(policy),
        *completions_routes(),
        *misc_routes(),
    ]
    batch_lines.use(table)
    return table

"""Moderations (input scanned) and models (pass through; models are nobody's objects)."""

from __future__ import annotations

import re

from ..routing import Route, route
from .base import JsonCodec


class ModerationsCodec(JsonCodec):
    """``input`` as a string, strings or multimodal parts: every text is scanned."""

    family = "moderations"


class ModelsCodec(JsonCodec):
    """The provider's model list; answers are restored only as a fail-safe."""

    family = "models"


def routes() -> list[Route]:
    models = ModelsCodec()
    return [
        route("POST", "moderations", ModerationsCodec()),
        route("GET", "models", models, public_listing=True),
        # Not ``{id}``: a model is the provider's, not an object a tenant owns.
        # Fine-tuned model ids hold colons ("ft:gpt-4o-mini:org::abc").
        Route(frozenset({"GET"}), re.compile(r"^models/[^/]+$"), models, "models/{model}"),
    ]

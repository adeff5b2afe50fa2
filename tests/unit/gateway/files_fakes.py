"""A stand-in for the pipeline's ``protect_texts``: swaps known values, records texts."""

from __future__ import annotations

from collections.abc import Sequence

from gateway.codecs.base import RawBody
from gateway.multipart import Part, build_form, parse_form
from gateway.slots import Json, Slot, set_path

VALUES = {"John Smith": "<PERSON_1>", "john.smith@example.com": "<EMAIL_ADDRESS_1>",
          '"Quoted" Jane': "<PERSON_2>"}


class FakeProtector:
    """Swaps a fixed table of values; owns the ids an :class:`Owned` gives it."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []
        self.owned = Owned()

    def with_owned(self, owned: Owned) -> FakeProtector:
        self.owned = owned
        return self

    async def foreign_ids(self, ids: Sequence[str]) -> set[str]:
        return await self.owned(ids)

    async def document(self, document: Json, slots: Sequence[Slot]) -> None:
        protected = await self.texts([slot.text for slot in slots])
        for slot, text in zip(slots, protected, strict=True):
            if text != slot.text:
                set_path(document, slot.path, text)

    async def texts(self, texts: Sequence[str]) -> list[str]:
        self.calls.append(list(texts))
        out = []
        for text in texts:
            for value, token in VALUES.items():
                text = text.replace(value, token)
            out.append(text)
        return out

    @property
    def seen(self) -> list[str]:
        return [text for call in self.calls for text in call]


class Owned:
    """A stand-in for the pipeline's ``foreign_ids``: the tenant owns ``ids`` only."""

    def __init__(self, *ids: str) -> None:
        self.ids = set(ids)
        self.asked: list[list[str]] = []

    async def __call__(self, ids: Sequence[str]) -> set[str]:
        self.asked.append(list(ids))
        return set(ids) - self.ids


def upload(data: bytes, filename: str = "notes.txt", purpose: str = "assistants",
           content_type: str = "text/plain") -> RawBody:
    body, form_type = build_form([Part("purpose", purpose.encode()),
                                  Part("file", data, filename, content_type)])
    return RawBody(body, form_type)


def file_part(body: RawBody) -> Part:
    parts = parse_form(body.content, body.content_type)
    return next(part for part in parts if part.filename is not None)

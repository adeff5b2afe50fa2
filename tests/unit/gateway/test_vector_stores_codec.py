"""Vector stores: what is scanned, which files must be ours, what the ledger records."""

from __future__ import annotations

from gateway.codecs.base import ObjectRef
from gateway.codecs.vector_stores import VectorStoresCodec, routes
from gateway.routes import match_route


def texts(body: object) -> list[str]:
    return [slot.text for slot in VectorStoresCodec().request_slots(body)]


def test_search_scans_queries_and_filter_values_but_not_filter_keys() -> None:
    body = {"query": ["who is John Smith", "mail"], "max_num_results": 3,
            "filters": {"type": "and", "filters": [
                {"type": "eq", "key": "author", "value": "John Smith"},
                {"type": "in", "key": "tag", "value": ["a", "b"]}]},
            "ranking_options": {"ranker": "auto", "score_threshold": 0.1}}
    assert texts(body) == ["who is John Smith", "mail", "John Smith", "a", "b"]


def test_store_names_descriptions_metadata_and_attributes_are_scanned() -> None:
    body = {"name": "John Smith files", "description": "d", "metadata": {"k": "v"},
            "file_ids": ["file-1"], "expires_after": {"anchor": "last_active_at", "days": 2},
            "chunking_strategy": {"type": "static"}}
    assert texts(body) == ["John Smith files", "d", "k", "v"]  # the app's own keys too
    assert texts({"file_id": "file-1", "attributes": {"author": "Ann", "n": 1}}) == [
        "author", "Ann", "n"]


def test_files_put_into_a_store_must_be_ours() -> None:
    codec = VectorStoresCodec()
    assert codec.referenced_objects({"file_id": "file-1"}) == ["file-1"]
    assert codec.referenced_objects({"file_ids": ["file-2", "file-3"]}) == ["file-2", "file-3"]
    assert codec.referenced_objects({"files": [{"file_id": "file-4"}, {"x": 1}]}) == ["file-4"]
    assert codec.referenced_objects({"query": "q"}) == []


def test_ledger_records_stores_and_attached_files() -> None:
    codec = VectorStoresCodec()
    store = {"id": "vs_1", "object": "vector_store"}
    assert codec.created_objects({"file_ids": ["file-1"]}, store) == [
        ObjectRef("vector_store", "vs_1"),
        ObjectRef("vector_store_file", "vs_1/file-1", "vs_1")]
    attached = {"id": "file-2", "object": "vector_store.file", "vector_store_id": "vs_1"}
    assert codec.created_objects({"file_id": "file-2"}, attached) == [
        ObjectRef("vector_store_file", "vs_1/file-2", "vs_1")]
    for kind in ("vector_store.files_batch", "vector_store.file_batch"):
        batch = {"id": "vsfb_1", "object": kind, "vector_store_id": "vs_1"}
        assert codec.created_objects({"files": [{"file_id": "file-3"}]}, batch) == [
            ObjectRef("vector_store_file", "vs_1/file-3", "vs_1")]


def test_deletions_lists_and_searches_record_nothing() -> None:
    codec = VectorStoresCodec()
    for response in ({"id": "vs_1", "object": "vector_store.deleted", "deleted": True},
                     {"id": "file-1", "object": "vector_store.file.deleted",
                      "vector_store_id": "vs_1"},
                     {"object": "list", "data": []},
                     {"object": "vector_store.search_results.page", "data": []}):
        assert codec.created_objects(None, response) == []


def test_detaching_a_file_does_not_forget_the_file_itself() -> None:
    table = routes()
    detach = match_route(table, "DELETE", "vector_stores/vs_1/files/file-1")
    assert detach is not None and detach.object_id == "vs_1"
    assert detach.deleted_id == "vs_1/file-1"  # the attachment, not the file
    store = match_route(table, "DELETE", "vector_stores/vs_1")
    assert store is not None and store.deleted_id == "vs_1"
    search = match_route(table, "POST", "vector_stores/vs_1/search")
    assert search is not None and search.route.owned

"""The real ``openai`` SDK parses what the simulator sends, for every family.

If the simulator drifted from OpenAI's wire format, these are the tests that
notice: the SDK's models and stream accumulators are strict about shapes.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx2
import openai
import pytest
from openai.types.chat import ChatCompletionToolParam

from gateway.simulator import SimulatorState, create_simulator_app

pytestmark = pytest.mark.anyio

TOOL: ChatCompletionToolParam = {
    "type": "function",
    "function": {
        "name": "lookup",
        "parameters": {"type": "object", "properties": {"query": {"type": "string"}}},
    },
}


@pytest.fixture
async def sdk(state: SimulatorState) -> AsyncIterator[openai.AsyncOpenAI]:
    transport = httpx2.ASGITransport(app=create_simulator_app(state))
    http_client = openai.DefaultAsyncHttpxClient(transport=transport)
    async with openai.AsyncOpenAI(
        api_key="sk-test", base_url="http://sim/v1", http_client=http_client, max_retries=0
    ) as client:
        yield client


async def test_chat_plain(sdk: openai.AsyncOpenAI) -> None:
    completion = await sdk.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "Hi, I am Zoë"}]
    )
    assert completion.choices[0].message.content == "You said: Hi, I am Zoë"
    assert completion.usage is not None


async def test_chat_stream_accumulates(sdk: openai.AsyncOpenAI) -> None:
    async with sdk.chat.completions.stream(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "Ann Lee"}],
        stream_options={"include_usage": True},
    ) as stream:
        async for _ in stream:
            pass
        final = await stream.get_final_completion()
    assert final.choices[0].message.content == "You said: Ann Lee"
    assert final.usage is not None


async def test_chat_tool_calls_plain_and_streamed(sdk: openai.AsyncOpenAI) -> None:
    messages: list[openai.types.chat.ChatCompletionMessageParam] = [
        {"role": "user", "content": "Where is Ann?"}
    ]
    plain = await sdk.chat.completions.create(model="m", messages=messages, tools=[TOOL])
    call = plain.choices[0].message.tool_calls
    assert call is not None
    assert json.loads(call[0].function.arguments) == {"query": "Where is Ann?"}  # type: ignore[union-attr]
    async with sdk.chat.completions.stream(model="m", messages=messages, tools=[TOOL]) as stream:
        async for _ in stream:
            pass
        final = await stream.get_final_completion()
    streamed = final.choices[0].message.tool_calls
    assert streamed is not None
    assert streamed[0].function.arguments == call[0].function.arguments  # type: ignore[union-attr]
    assert final.choices[0].finish_reason == "tool_calls"


RESPONSE_TOOL: openai.types.responses.FunctionToolParam = {
    "type": "function",
    "name": "lookup",
    "parameters": {"type": "object", "properties": {"query": {"type": "string"}}},
    "strict": False,
}


async def test_responses_plain_chain_and_conversation(sdk: openai.AsyncOpenAI) -> None:
    first = await sdk.responses.create(
        model="gpt-4.1", input="I am Zoë", reasoning={"effort": "low"}
    )
    assert first.output_text == "You said: I am Zoë"
    second = await sdk.responses.create(
        model="gpt-4.1", input="And Ann?", previous_response_id=first.id
    )
    assert second.output_text == "You said: And Ann?"
    items = await sdk.responses.input_items.list(second.id)
    assert [item.type for item in items.data] == ["message"]
    conversation = await sdk.conversations.create(metadata={"k": "v"})
    await sdk.responses.create(model="gpt-4.1", input="Hi", conversation=conversation.id)
    listed = await sdk.conversations.items.list(conversation.id, order="asc")
    assert len(listed.data) == 2
    await sdk.responses.delete(first.id)
    with pytest.raises(openai.NotFoundError):
        await sdk.responses.retrieve(first.id)


async def test_responses_stream_accumulates(sdk: openai.AsyncOpenAI) -> None:
    async with sdk.responses.stream(
        model="gpt-4.1", input="Ann Lee", reasoning={"effort": "low", "summary": "auto"}
    ) as stream:
        kinds = [event.type async for event in stream]
        final = await stream.get_final_response()
    assert final.output_text == "You said: Ann Lee"
    assert "response.reasoning_summary_text.delta" in kinds
    async with sdk.responses.stream(model="m", input="Ann", tools=[RESPONSE_TOOL]) as stream:
        async for _ in stream:
            pass
        called = await stream.get_final_response()
    call = called.output[0]
    assert call.type == "function_call"
    assert json.loads(call.arguments) == {"query": "Ann"}


async def test_assistants_stream(sdk: openai.AsyncOpenAI) -> None:
    beta = sdk.beta
    assistant = await beta.assistants.create(
        model="gpt-4o", tools=[{"type": "function", "function": TOOL["function"]}]
    )
    thread = await beta.threads.create(messages=[{"role": "user", "content": "Find Zoë"}])
    async with beta.threads.runs.stream(thread_id=thread.id, assistant_id=assistant.id) as stream:
        await stream.until_done()
        run = stream.current_run
    assert run is not None
    assert run.required_action is not None
    tool_call = run.required_action.submit_tool_outputs.tool_calls[0]
    assert json.loads(tool_call.function.arguments) == {"query": "Find Zoë"}
    async with beta.threads.runs.submit_tool_outputs_stream(
        thread_id=thread.id,
        run_id=run.id,
        tool_outputs=[{"tool_call_id": tool_call.id, "output": "Zoë is in Rome"}],
    ) as stream:
        await stream.until_done()
        messages = await stream.get_final_messages()
    content = messages[0].content[0]
    assert content.type == "text"
    assert content.text.value == "Tool result: Zoë is in Rome"


async def test_files_and_vector_store_search(sdk: openai.AsyncOpenAI) -> None:
    uploaded = await sdk.files.create(
        file=("kb.txt", b"Ann Lee lives in Paris."), purpose="assistants"
    )
    assert (await sdk.files.content(uploaded.id)).content == b"Ann Lee lives in Paris."
    store = await sdk.vector_stores.create(name="kb", file_ids=[uploaded.id])
    results = await sdk.vector_stores.search(store.id, query="Ann Lee")
    assert results.data[0].content[0].text == "Ann Lee lives in Paris."

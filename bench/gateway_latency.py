"""Added latency and throughput of the gateway versus a bare pass-through proxy.

Prints figures, asserts nothing. Both proxies front the same simulated
provider in the same run, each in its own uvicorn process; the load comes
from this process over loopback. Scenarios:

a) a PII-free chat request (repeated text: detection cache hit; and unique
   text: a cache miss per request),
b) a 10-turn conversation of about 2 KB with personal data, per turn,
c) streaming: time to first byte.

Usage: .venv/bin/python bench/gateway_latency.py [--requests 300] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
CONVERSATION = [
    "Hi, I'm Maria Keller and I live at 12 Baker Street, London. My email is "
    "maria.keller@example.org.",
    "Please call me on +44 20 7946 0958 after 5pm, ask for Maria.",
    "My colleague Thomas Brandt (thomas.brandt@example.com) will join the call.",
    "The invoice went to card 4111 1111 1111 1111, can you check it?",
    "Also my IBAN is GB82 WEST 1234 5698 7654 32 for the refund.",
    "Thomas says his number changed to +44 20 7946 0011.",
    "Summarise everything so far for Maria Keller, please.",
    "Add that Anna Schmidt from accounts approved it.",
    "Send the summary to maria.keller@example.org and anna.schmidt@example.net.",
    "Thanks, that's all for today.",
]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def wait_ready(url: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def start(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(args, env={**os.environ, **env}, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def uvicorn(factory: str, port: int, env: dict[str, str], app_dir: str = ".") -> list[str]:
    return [PYTHON, "-m", "uvicorn", "--factory", factory, "--port", str(port),
            "--app-dir", app_dir, "--log-level", "warning", "--no-access-log"]


async def timed(call: Callable[[], Awaitable[object]], count: int, concurrency: int
                ) -> tuple[list[float], float]:
    latencies: list[float] = []
    semaphore = asyncio.Semaphore(concurrency)

    async def one() -> None:
        async with semaphore:
            started = time.perf_counter()
            await call()
            latencies.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(count)))
    return latencies, count / (time.perf_counter() - started)


def chat(text: str) -> dict[str, object]:
    return {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": text}]}


async def scenario_simple(client: httpx.AsyncClient, count: int, unique: bool
                          ) -> tuple[list[float], list[float], float]:
    counter = iter(range(10**9))

    async def call() -> None:
        text = f"What is the capital of France? Variant {next(counter)}" if unique else (
            "What is the capital of France?")
        (await client.post("/chat/completions", json=chat(text))).raise_for_status()

    sequential, _ = await timed(call, count, 1)
    _, rps = await timed(call, count, 16)
    return sequential, [], rps


async def scenario_conversation(client: httpx.AsyncClient, rounds: int
                                ) -> dict[int, list[float]]:
    per_turn: dict[int, list[float]] = {turn: [] for turn in range(1, 11)}
    for number in range(rounds):
        messages: list[dict[str, str]] = []
        headers = {"x-piigate-subject": f"bench-{number}-{time.time_ns()}"}
        for turn, text in enumerate(CONVERSATION, start=1):
            messages.append({"role": "user", "content": text})
            started = time.perf_counter()
            answer = await client.post("/chat/completions", headers=headers,
                                       json={"model": "m", "messages": messages})
            per_turn[turn].append((time.perf_counter() - started) * 1000)
            answer.raise_for_status()
            messages.append({"role": "assistant",
                             "content": answer.json()["choices"][0]["message"]["content"]})
    return per_turn


async def scenario_ttfb(client: httpx.AsyncClient, count: int) -> list[float]:
    results = []
    for number in range(count):
        body = {**chat(f"Tell Maria Keller a story, take {number}."), "stream": True}
        started = time.perf_counter()
        async with client.stream("POST", "/chat/completions", json=body) as response:
            chunks = response.aiter_raw()
            await anext(chunks)
            results.append((time.perf_counter() - started) * 1000)
            async for _ in chunks:
                pass
    return results


def report(title: str, base: list[float], gate: list[float]) -> None:
    b50, g50 = statistics.median(base), statistics.median(gate)
    b95, g95 = percentile(base, 0.95), percentile(gate, 0.95)
    print(f"{title:<44} p50 {b50:7.2f} -> {g50:7.2f} ms (+{g50 - b50:6.2f}, x{g50 / b50:4.2f})"
          f"   p95 {b95:7.2f} -> {g95:7.2f} ms (+{g95 - b95:6.2f})")


async def measure(base_url: str, gate_url: str, key: str, count: int) -> None:
    headers = {"authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=f"{base_url}/v1", timeout=60) as base, \
            httpx.AsyncClient(base_url=f"{gate_url}/v1", headers=headers, timeout=60) as gate:
        for client in (base, gate):  # warm up pools, models, caches
            await scenario_simple(client, 20, unique=False)
        print("baseline = bare pass-through proxy; gateway = piigate; same provider, same run\n")
        for unique in (False, True):
            b_seq, _, b_rps = await scenario_simple(base, count, unique)
            g_seq, _, g_rps = await scenario_simple(gate, count, unique)
            label = "(a) PII-free, " + ("unique text (detect)" if unique else "repeated (cached)")
            report(label, b_seq, g_seq)
            print(f"{'':<44} throughput at concurrency 16: {b_rps:7.0f} -> {g_rps:7.0f} req/s"
                  f" (x{g_rps / b_rps:4.2f})")
        rounds = max(3, count // 30)
        b_turns = await scenario_conversation(base, rounds)
        g_turns = await scenario_conversation(gate, rounds)
        size = len(str(CONVERSATION).encode())
        print(f"\n(b) 10-turn conversation with PII (~{size} bytes of user text), {rounds} runs")
        for turn in range(1, 11):
            report(f"    turn {turn:2d}", b_turns[turn], g_turns[turn])
        report("    all turns", [v for vs in b_turns.values() for v in vs],
               [v for vs in g_turns.values() for v in vs])
        ttfb_count = max(20, count // 10)
        report(f"\n(c) streaming time to first byte ({ttfb_count})",
               await scenario_ttfb(base, ttfb_count), await scenario_ttfb(gate, ttfb_count))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    from gateway.server_thread import free_port

    sim_port, base_port, gate_port = free_port(), free_port(), free_port()
    with tempfile.TemporaryDirectory() as data_dir:
        env = {"PIIGATE_DATA_DIR": data_dir, "PIIGATE_UPSTREAM_API_KEY": "sk-bench",
               "PIIGATE_UPSTREAM_BASE_URL": f"http://127.0.0.1:{sim_port}/v1",
               "PASSTHROUGH_UPSTREAM": f"http://127.0.0.1:{sim_port}/v1/"}
        piigate = str(Path(PYTHON).with_name("piigate"))
        key = subprocess.run([piigate, "keys", "create", "--tenant", "bench"], env={
            **os.environ, **env}, check=True, capture_output=True, text=True
        ).stdout.strip().splitlines()[-1]
        processes = [
            start(uvicorn("gateway.simulator:create_simulator_app", sim_port, env), env),
            start(uvicorn("passthrough:create_app", base_port, env, "bench"), env),
            start([piigate, "serve", "--port", str(gate_port)], env),
        ]
        try:
            for port in (sim_port, base_port, gate_port):
                wait_ready(f"http://127.0.0.1:{port}/healthz")
            asyncio.run(measure(f"http://127.0.0.1:{base_port}",
                                f"http://127.0.0.1:{gate_port}", key, args.requests))
        finally:
            for process in processes:
                process.terminate()
                process.wait(timeout=30)


if __name__ == "__main__":
    main()

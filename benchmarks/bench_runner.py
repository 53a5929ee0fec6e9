"""Runner benchmarks (a script, not a test). Prints medians.

1. 1000 trivial tasks (`true`) in a DAG, 8 in parallel, against
   `xargs -P 8` running the same 1000 commands (goal: at most 1.5x its time; the
   script exits 1 when it is missed). The CPU seconds of the runner's
   coordinating thread, its other threads and its children are printed too, and
   beside them a "Python floor" timed in the same rounds: the least a Python
   program does to run the same DAG from threads and record each task's claim,
   run and finish in the same SQLite schema (`runner_floor.py`), which tells
   how much of the gap to xargs is Python's and how much the runner's own.
2. An agent printing 100k lines: lines stored per second, and the lag of an
   asyncio loop in the same process (standing in for the TUI's event loop)
   while the runner streams in a background thread.
2b. `--only spawn`: the spawning and watching alone, no database: 1000 `true`
   started through `Supervisor.start` from one thread (8 at a time) into one
   reactor, with a runner's environment; CPU per child of the spawning thread
   and of the reactor (with `--before`, FOLDER's too, alternately, each in a
   fresh interpreter).
3. A coding agent's 100k-event stream (Claude Code's stream-json shape): events
   parsed per second by the parser alone, and through the runner (raw events and
   readable lines stored) with the same loop-lag probe.

    python benchmarks/bench_runner.py [--repeat 3] [--tasks 1000] [--lines 100000]
                                      [--events 100000] [--only agents|dag|spawn]
                                      [--before FOLDER]

With `--before FOLDER` (another checkout, e.g. `git worktree add /tmp/old main`)
each round of the DAG runs this checkout's runner and FOLDER's, each in a fresh
interpreter, then xargs, in turn, so all three see the same load.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from runner_floor import python_floor

from orchestrator_tui.agents.parsers import make_parser
from orchestrator_tui.domain.plan import PlanSpec
from orchestrator_tui.runner import (
    BackgroundRunner,
    Runner,
    RunnerConfig,
    RunnerSummary,
    freeze_loaded,
)
from orchestrator_tui.services import open_orchestrator

#: Runner time over `xargs -P` time for the DAG of `true` tasks.
DAG_GOAL = 1.5


def dag_plan(n: int, seed: int = 1) -> PlanSpec:
    """n tasks in layers of 50; each depends on up to two tasks of the layer before."""
    rng = random.Random(seed)
    tasks = []
    width = 50
    for i in range(n):
        layer = i // width
        deps = []
        if layer:
            prev = range((layer - 1) * width, layer * width)
            deps = sorted({f"B-{j}" for j in rng.sample(list(prev), 2)})
        tasks.append(
            {
                "key": f"B-{i}",
                "title": f"bench {i}",
                "command": {"argv": ["true"]},
                "depends_on": deps,
            }
        )
    return PlanSpec.model_validate({"name": "bench", "tasks": tasks})


#: CPU seconds of the last `bench_dag`: coordinating thread, other threads, children.
DAG_CPU: list[tuple[float, float, float]] = []


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def bench_dag(n: int, parallel: int) -> float:
    with tempfile.TemporaryDirectory() as folder:
        url = str(Path(folder) / "bench.db")
        orch = open_orchestrator(url, "bench")
        orch.plans.load(dag_plan(n), "bench")
        config = RunnerConfig(agent="bench-runner", max_parallel=parallel, until_idle=True)
        runner = Runner(orch.as_actor("bench-runner"), config)
        freeze_loaded()  # as `orchestrator-tui run` does
        cpu = (time.thread_time(), time.process_time(), _children_cpu())
        start = time.perf_counter()
        summary = runner.serve()
        took = time.perf_counter() - start
        mine, everything = time.thread_time() - cpu[0], time.process_time() - cpu[1]
        DAG_CPU.append((mine, everything - mine, _children_cpu() - cpu[2]))
        assert summary.succeeded == n, summary
        orch.close()
        gc.unfreeze()  # the log benchmarks below start as an unfrozen process
        return took


def bench_floor(n: int, parallel: int) -> float:
    """The Python floor (see `runner_floor.py`) over the same DAG; its CPU seconds
    (coordinating thread, its other threads, children) join FLOOR_CPU."""
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "floor.db")
        orch = open_orchestrator(path, "bench")
        orch.plans.load(dag_plan(n), "bench")
        orch.close()
        cpu = (time.thread_time(), time.process_time(), _children_cpu())
        took = python_floor(path, parallel)
        mine, everything = time.thread_time() - cpu[0], time.process_time() - cpu[1]
        FLOOR_CPU.append((mine, everything - mine, _children_cpu() - cpu[2]))
        return took


#: CPU seconds of each `bench_floor`, as DAG_CPU's.
FLOOR_CPU: list[tuple[float, float, float]] = []


def _report_floor(times: list[float], xargs: list[float]) -> None:
    each = ", ".join(f"{t:.2f}" for t in times)
    ratios = [a / b for a, b in zip(times, xargs, strict=True)]
    c = [statistics.median(row[i] for row in FLOOR_CPU) for i in range(3)]
    print(f"  floor    median {statistics.median(times):.2f}s  ({each})")
    print(
        f"  floor    ratio median {statistics.median(ratios):.2f}x (the Python floor, a "
        f"reference); cpu coordinating {c[0]:.2f}s, other threads {c[1]:.2f}s, "
        f"children {c[2]:.2f}s"
    )


def other_checkout(folder: str, n: int, parallel: int) -> float:
    """One DAG run by the package in `folder`, in a fresh interpreter (this script);
    its CPU figures join DAG_CPU."""
    env = {**os.environ, "PYTHONPATH": folder}
    out = subprocess.run(
        [sys.executable, __file__, "--tasks", str(n), "--parallel", str(parallel), "--child"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    took, cpu = json.loads(out)
    DAG_CPU.append(tuple(cpu))
    return float(took)


def bench_spawn(n: int, parallel: int) -> tuple[float, float]:
    """CPU ms per child of the spawning thread and of the reactor (see 2b)."""
    import threading

    from orchestrator_tui.procs import this_host
    from orchestrator_tui.runner.process import Supervisor
    from orchestrator_tui.runner.reactor import Reactor
    from orchestrator_tui.runner.reaper import mark_of

    env = {**os.environ, **{f"ORCHESTRATOR_TUI_BENCH_{i}": "x" * 32 for i in range(8)}}
    reactor_cpu: list[float] = []
    loop = Reactor._loop

    def timed_loop(self: Reactor, *args: object, **kwargs: object) -> None:
        start = time.thread_time()
        try:
            loop(self, *args, **kwargs)  # type: ignore[arg-type]
        finally:
            reactor_cpu.append(time.thread_time() - start)

    Reactor._loop = timed_loop  # type: ignore[method-assign]
    reactor = Reactor()
    reactor.start("bench-reactor")
    slots = threading.Semaphore(parallel)
    left = [n]
    finished = threading.Event()

    def ended(outcome: object) -> None:
        assert getattr(outcome, "exit_code", None) == 0, outcome
        slots.release()
        left[0] -= 1
        if not left[0]:
            finished.set()

    def spawned(pid: int) -> None:  # what the runner records of each child
        mark_of(pid)
        this_host()

    start = time.thread_time()
    for _ in range(n):
        slots.acquire()
        sup = Supervisor(["true"], sink=lambda _: None, env=env, watched=True, on_spawn=spawned)
        sup.start(reactor, ended)
    assert finished.wait(120)
    spawning = time.thread_time() - start
    reactor.close(5)
    Reactor._loop = loop  # type: ignore[method-assign]
    return spawning / n * 1000, reactor_cpu[0] / n * 1000


def compare_spawn(before: str | None, n: int, parallel: int, repeat: int) -> int:
    here = str(Path(__file__).resolve().parent.parent)
    sides = [("runner", here)] + ([("before", before)] if before else [])
    got: dict[str, list[list[float]]] = {name: [] for name, _ in sides}
    loads = [os.getloadavg()[0]]
    for _ in range(repeat):
        for name, folder in sides:
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--tasks",
                    str(n),
                    "--parallel",
                    str(parallel),
                    "--child-spawn",
                ],
                env={**os.environ, "PYTHONPATH": folder},
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            got[name].append(json.loads(out))
        loads.append(os.getloadavg()[0])
    print(f"spawning and watching {n} `true`, {parallel} at a time, no database")
    print(f"  load average {min(loads):.2f}-{max(loads):.2f}")
    for name, rows in got.items():
        spawning = statistics.median(r[0] for r in rows)
        watching = statistics.median(r[1] for r in rows)
        each = ", ".join(f"{a:.3f}+{b:.3f}" for a, b in rows)
        figures = f"spawning {spawning:.3f} ms, reactor {watching:.3f} ms"
        print(f"  {name:8} CPU a child: {figures} ({each})")
    return 0


def bench_xargs(n: int, parallel: int) -> float:
    start = time.perf_counter()
    subprocess.run(
        ["xargs", "-P", str(parallel), "-I{}", "true"],
        input="\n".join(str(i) for i in range(n)) + "\n",
        text=True,
        check=True,
    )
    return time.perf_counter() - start


async def _lag_probe(stop: asyncio.Event, tick: float = 0.01) -> list[float]:
    lags = []
    while not stop.is_set():
        before = time.perf_counter()
        await asyncio.sleep(tick)
        lags.append(time.perf_counter() - before - tick)
    return lags


async def _serve_with_probe(url: str) -> tuple[RunnerSummary, float, list[float]]:
    """Serve `url`'s ready tasks on a background runner until idle while probing this
    event loop's lag: the runner's summary, the seconds it took and the lags."""
    stop = asyncio.Event()
    probe = asyncio.create_task(_lag_probe(stop))
    bg = BackgroundRunner(url, RunnerConfig(agent="bench-runner", until_idle=True))
    start = time.perf_counter()
    bg.start()
    loop = asyncio.get_running_loop()
    summary = await loop.run_in_executor(None, bg.finished.result)
    took = time.perf_counter() - start
    stop.set()
    return summary, took, await probe


async def _stream_with_probe(url: str, lines: int) -> tuple[float, float, float]:
    from orchestrator_tui.domain.models import CommandSpec, TaskSpec

    orch = open_orchestrator(url, "bench")
    code = (
        "import sys\nw = sys.stdout.write\n"
        f"for i in range({lines}): w(f'line {{i}} ' + 'x' * 60 + '\\n')"
    )
    orch.tasks.create(
        TaskSpec(key="FLOOD", title="flood", command=CommandSpec(argv=[sys.executable, "-c", code]))
    )
    summary, took, lags = await _serve_with_probe(url)
    (run,) = orch.queries.runs_for("FLOOD")
    assert summary.succeeded == 1 and run.line_count == lines, (summary, run.line_count)
    orch.close()
    return lines / took, max(lags), statistics.median(lags)


async def _idle_lag(seconds: float = 2.0) -> tuple[float, float]:
    stop = asyncio.Event()
    probe = asyncio.create_task(_lag_probe(stop))
    await asyncio.sleep(seconds)
    stop.set()
    lags = await probe
    return max(lags), statistics.median(lags)


def bench_stream(lines: int) -> tuple[float, float, float]:
    with tempfile.TemporaryDirectory() as folder:
        return asyncio.run(_stream_with_probe(str(Path(folder) / "flood.db"), lines))


def _report_stream(results: list[tuple[float, float, float]], label: str) -> None:
    rate = statistics.median(r[0] for r in results)
    worst = statistics.median(r[1] for r in results)
    typical = statistics.median(r[2] for r in results)
    print(f"  stored   median {rate:,.0f} lines/s (spawn to task done){label}")
    print(f"  loop lag median of max {worst * 1000:.1f}ms, median {typical * 1000:.2f}ms{label}")


def claude_events(n: int) -> list[str]:
    """`n` stream-json lines: text, tool calls with results, usage, a final result."""
    out = [json.dumps({"type": "system", "subtype": "init", "session_id": "s", "model": "m"})]
    for i in range(n - 2):
        if i % 3 == 0:
            content = [{"type": "text", "text": f"step {i}: reading the code " + "x" * 60}]
            event = {"type": "assistant", "message": {"id": f"m{i}", "content": content}}
            event["message"]["usage"] = {"input_tokens": 100, "output_tokens": 10}
        elif i % 3 == 1:
            call = {"type": "tool_use", "id": f"t{i}", "name": "Edit"}
            call["input"] = {"file_path": f"src/mod{i % 50}.py", "old_string": "a" * 40}
            event = {"type": "assistant", "message": {"id": f"m{i}", "content": [call]}}
        else:
            result = {"type": "tool_result", "tool_use_id": f"t{i - 1}", "content": "ok"}
            event = {"type": "user", "message": {"content": [result]}}
        out.append(json.dumps(event))
    final = {"type": "result", "subtype": "success", "is_error": False, "result": "done"}
    out.append(json.dumps({**final, "num_turns": n, "total_cost_usd": 1.0, "usage": {}}))
    return out


def bench_parse(events: list[str]) -> float:
    """Events per second through the Claude Code parser alone."""
    parser = make_parser("claude")
    start = time.perf_counter()
    for line in events:
        parser.feed(line)
    took = time.perf_counter() - start
    assert parser.verdict(0) is None
    return len(events) / took


async def _agent_with_probe(url: str, events_file: str, n: int) -> tuple[float, float, float]:
    from orchestrator_tui.domain.agent import AgentProfile, AgentUse
    from orchestrator_tui.domain.models import CommandSpec, TaskSpec

    orch = open_orchestrator(url, "bench")
    code = f"import sys, shutil\nshutil.copyfileobj(open({events_file!r}), sys.stdout)"
    profile = AgentProfile(argv=[sys.executable, "-c", code], prompt="stdin", parser="claude")
    use = AgentUse(profile="bench", definition=profile)
    command = CommandSpec(argv=[sys.executable], agent=use)
    orch.tasks.create(TaskSpec(key="AGENT", title="agent", command=command))
    summary, took, lags = await _serve_with_probe(url)
    (run,) = orch.queries.runs_for("AGENT")
    raw = len(orch.queries.log_lines(run.id, limit=n + 10, raw=True))
    assert summary.succeeded == 1 and raw == n, (summary, raw, run.error)
    orch.close()
    return n / took, max(lags), statistics.median(lags)


def bench_agent_stream(events: list[str]) -> tuple[float, float, float]:
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "events.jsonl"
        source.write_text("\n".join(events) + "\n", encoding="utf-8")
        url = str(Path(folder) / "agent.db")
        return asyncio.run(_agent_with_probe(url, str(source), len(events)))


def report_agents(n: int, repeat: int) -> None:
    events = claude_events(n)
    rates = [bench_parse(events) for _ in range(repeat)]
    print(f"coding agent streaming {n} Claude Code events")
    print(f"  parser   median {statistics.median(rates):,.0f} events/s (parsing alone)")
    results = [bench_agent_stream(events) for _ in range(repeat)]
    rate = statistics.median(r[0] for r in results)
    worst = statistics.median(r[1] for r in results)
    typical = statistics.median(r[2] for r in results)
    print(
        f"  runner   median {rate:,.0f} events/s (spawn to task done, raw and shown lines stored)"
    )
    print(f"  loop lag median of max {worst * 1000:.1f}ms, median {typical * 1000:.2f}ms")


def compare_dag(before: str, n: int, parallel: int, repeat: int) -> int:
    """This checkout's runner, FOLDER's and xargs, in turn each round."""
    here = str(Path(__file__).resolve().parent.parent)
    times: dict[str, list[float]] = {"runner": [], "before": [], "floor": [], "xargs": []}
    cpu: dict[str, list[tuple[float, ...]]] = {"runner": [], "before": []}
    loads = [os.getloadavg()[0]]
    for _ in range(repeat):
        for name, folder in (("runner", here), ("before", before)):
            times[name].append(other_checkout(folder, n, parallel))
            cpu[name].append(DAG_CPU[-1])
        times["floor"].append(bench_floor(n, parallel))
        times["xargs"].append(bench_xargs(n, parallel))
        loads.append(os.getloadavg()[0])
    print(f"{n} tasks (true) in a DAG, {parallel} in parallel; before: {before}")
    print(f"  load average {min(loads):.2f}-{max(loads):.2f}")
    for name, runs in times.items():
        if name == "floor":
            continue  # printed with its ratio below
        each = ", ".join(f"{t:.2f}" for t in runs)
        print(f"  {name:8} median {statistics.median(runs):.2f}s  ({each})")
    ratio = 0.0
    for name in ("runner", "before"):
        ratios = [a / b for a, b in zip(times[name], times["xargs"], strict=True)]
        c = [statistics.median(row[i] for row in cpu[name]) for i in range(3)]
        print(
            f"  {name:8} ratio median {statistics.median(ratios):.2f}x (goal <= {DAG_GOAL}x); cpu "
            f"coordinating {c[0]:.2f}s, other threads {c[1]:.2f}s, children {c[2]:.2f}s"
        )
        ratio = ratio or statistics.median(ratios)
    _report_floor(times["floor"], times["xargs"])
    return 1 if ratio > DAG_GOAL else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--parallel", type=int, default=8)
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--only", choices=["agents", "dag", "spawn"], help="run only this part")
    parser.add_argument("--before", metavar="FOLDER", help="also time the runner in FOLDER")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--child-spawn", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_spawn:
        print(json.dumps(bench_spawn(args.tasks, args.parallel)))
        return 0
    if args.only == "spawn":
        return compare_spawn(args.before, args.tasks, args.parallel, args.repeat)
    if args.child:  # one DAG run for --before, in a fresh interpreter
        took = bench_dag(args.tasks, args.parallel)
        print(json.dumps([took, DAG_CPU[-1]]))
        return 0
    if args.before:
        return compare_dag(args.before, args.tasks, args.parallel, args.repeat)
    if args.only == "agents":
        report_agents(args.events, args.repeat)
        return 0

    runner_times, floor_times, xargs_times = [], [], []
    for _ in range(args.repeat):  # alternate, so all see the same machine load
        runner_times.append(bench_dag(args.tasks, args.parallel))
        floor_times.append(bench_floor(args.tasks, args.parallel))
        xargs_times.append(bench_xargs(args.tasks, args.parallel))
    r, x = statistics.median(runner_times), statistics.median(xargs_times)
    print(f"{args.tasks} tasks (true) in a DAG, {args.parallel} in parallel")
    print(f"  load average {os.getloadavg()[0]:.2f}")
    print(f"  runner   median {r:.2f}s  ({', '.join(f'{t:.2f}' for t in runner_times)})")
    print(f"  xargs -P median {x:.2f}s  ({', '.join(f'{t:.2f}' for t in xargs_times)})")
    ratios = [a / b for a, b in zip(runner_times, xargs_times, strict=True)]
    ratio = statistics.median(ratios)
    print(f"  ratio    median {ratio:.2f}x of runs side by side (goal <= {DAG_GOAL}x)")
    coordinator, threads, children = (statistics.median(c[i] for c in DAG_CPU) for i in range(3))
    print(
        f"  cpu      coordinating thread {coordinator:.2f}s, supervising threads "
        f"{threads:.2f}s, children {children:.2f}s"
    )
    _report_floor(floor_times, xargs_times)
    missed = ratio > DAG_GOAL
    if args.only == "dag":
        return 1 if missed else 0

    idle = [asyncio.run(_idle_lag()) for _ in range(args.repeat)]
    print(f"agent printing {args.lines} lines")
    _report_stream([bench_stream(args.lines) for _ in range(args.repeat)], "")
    # Long-lived objects (modules, the app) out of the collector's way: the pauses
    # above are mostly full collections walking them (see gc.freeze()).
    gc.collect()
    gc.freeze()
    _report_stream([bench_stream(args.lines) for _ in range(args.repeat)], " after gc.freeze()")
    idle_worst = statistics.median(i[0] for i in idle)
    idle_typical = statistics.median(i[1] for i in idle)
    print(
        f"  (same probe, no runner: max {idle_worst * 1000:.1f}ms, median "
        f"{idle_typical * 1000:.2f}ms)"
    )
    report_agents(args.events, args.repeat)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())

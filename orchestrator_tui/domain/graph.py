"""Algorithms on the dependency DAG, on plain node ids (no database).

`deps` maps a task to the tasks it waits for (its blockers); an edge
(task, blocker) means *blocker must finish before task can start*. Every
function is iterative, so a 100k-node plan does not hit the recursion limit.
"""

from __future__ import annotations

from array import array
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from itertools import chain, repeat
from operator import lt
from typing import TypeVar

from .errors import CycleError

#: The typecode of the dense graphs' index arrays: 4 bytes (C int) rather than "l"'s
#: 8 on Linux, halving the critical path's peak at 100k tasks (an index array of more
#: than 2**31 entries would need more memory than any machine running this has).
INDEX = "i"

N = TypeVar("N", bound=Hashable)

Deps = Mapping[N, Iterable[N]]


def build_deps(edges: Iterable[tuple[N, N]]) -> dict[N, list[N]]:
    """(task, blocker) pairs to {task: [blockers]}."""
    deps: dict[N, list[N]] = defaultdict(list)
    for task, blocker in edges:
        deps[task].append(blocker)
    return dict(deps)


def invert(deps: Deps[N]) -> dict[N, list[N]]:
    """{task: [blockers]} to {blocker: [tasks waiting on it]}."""
    dependents: dict[N, list[N]] = defaultdict(list)
    for task, blockers in deps.items():
        for blocker in blockers:
            dependents[blocker].append(task)
    return dict(dependents)


def _all_nodes(nodes: Iterable[N] | None, deps: Deps[N]) -> list[N]:
    seen: dict[N, None] = dict.fromkeys(nodes or ())
    for task, blockers in deps.items():
        seen.setdefault(task)
        for b in blockers:
            seen.setdefault(b)
    return list(seen)


def _acyclic(deps: Deps[N]) -> bool:
    """Whether `deps` has no cycle: tasks nothing waits for are peeled off until
    none is left (Kahn's order without the order), a lighter walk than the one
    that names a cycle."""
    waiting = Counter(chain.from_iterable(deps.values()))  # edges into each node
    free = [n for n in deps if n not in waiting]
    while free:
        for blocker in deps.get(free.pop(), ()):
            waiting[blocker] -= 1
            if not waiting[blocker]:
                free.append(blocker)
    return not any(waiting.values())


def blockers_come_first(nodes: Sequence[N], counts: Iterable[int], blockers: Iterable[N]) -> bool:
    """Whether every node waits only for nodes before it in `nodes` (distinct): the
    order is then a topological one and there is no cycle. nodes[i] waits for the
    next counts[i] of `blockers`. C loops only (a 100k-task plan in a few ms); False
    as soon as a blocker is not earlier or not among `nodes` (then look closer)."""
    position = dict(zip(nodes, range(len(nodes)), strict=True))
    try:
        where = list(map(position.__getitem__, blockers))
    except KeyError:
        return False
    waiting = chain.from_iterable(map(repeat, range(len(nodes)), counts))
    return all(map(lt, where, waiting))


def find_cycle(deps: Deps[N], nodes: Iterable[N] | None = None) -> list[N] | None:
    """A cycle as [a, b, ..., a] following dependency edges, or None. (`deps`'
    values are read twice: collections, not iterators.)"""
    if _acyclic(deps):
        return None
    white, grey, black = 0, 1, 2
    colour: dict[N, int] = {}
    for root in _all_nodes(nodes, deps):
        if colour.get(root, white) != white:
            continue
        stack: list[tuple[N, Iterable[N]]] = [(root, iter(deps.get(root, ())))]
        path: list[N] = [root]
        colour[root] = grey
        while stack:
            node, children = stack[-1]
            advanced = False
            for child in children:
                state = colour.get(child, white)
                if state == grey:
                    start = path.index(child)
                    return [*path[start:], child]
                if state == white:
                    colour[child] = grey
                    stack.append((child, iter(deps.get(child, ()))))
                    path.append(child)
                    advanced = True
                    break
            if not advanced:
                colour[node] = black
                stack.pop()
                path.pop()
    return None


def path_between(deps: Deps[N], start: N, goal: N) -> list[N] | None:
    """Shortest chain of dependency edges from start to goal, or None."""
    if start == goal:
        return [start]
    parent: dict[N, N] = {}
    queue: deque[N] = deque([start])
    seen = {start}
    while queue:
        node = queue.popleft()
        for child in deps.get(node, ()):
            if child in seen:
                continue
            parent[child] = node
            if child == goal:
                path = [child]
                while path[-1] != start:
                    path.append(parent[path[-1]])
                return path[::-1]
            seen.add(child)
            queue.append(child)
    return None


def cycle_if_added(deps: Deps[N], task: N, blocker: N) -> list[N] | None:
    """The cycle that adding `task waits for blocker` would close, or None.

    Returned as [task, blocker, ..., task]."""
    back = path_between(deps, blocker, task)
    if back is None:
        return None
    return [task, *back]


def topological_order(deps: Deps[N], nodes: Iterable[N] | None = None) -> list[N]:
    """Every node, blockers before the tasks waiting on them (stable by input
    order). Raises `CycleError` naming a cycle."""
    all_nodes = _all_nodes(nodes, deps)
    remaining = {n: len(set(deps.get(n, ()))) for n in all_nodes}
    dependents = invert({n: set(deps.get(n, ())) for n in all_nodes})
    queue = deque(n for n in all_nodes if remaining[n] == 0)
    order: list[N] = []
    while queue:
        node = queue.popleft()
        order.append(node)
        for waiting in dependents.get(node, ()):
            remaining[waiting] -= 1
            if remaining[waiting] == 0:
                queue.append(waiting)
    if len(order) != len(all_nodes):
        cycle = find_cycle(deps, all_nodes)
        raise CycleError([str(n) for n in cycle or []])
    return order


def ready_set(pending: Iterable[N], deps: Deps[N], is_finished: Callable[[N], bool]) -> list[N]:
    """The pending nodes whose every blocker is finished."""
    return [n for n in pending if all(is_finished(b) for b in deps.get(n, ()))]


def critical_path(
    deps: Deps[N], weight: Callable[[N], float], nodes: Iterable[N] | None = None
) -> tuple[list[N], float]:
    """The chain with the largest summed weight, blockers first, and that sum.

    Give finished tasks weight 0 to get the critical path of remaining work."""
    order = topological_order(deps, nodes)
    best: dict[N, float] = {}
    via: dict[N, N | None] = {}
    for node in order:
        prev, prev_cost = None, 0.0
        for blocker in deps.get(node, ()):
            if prev is None or best[blocker] > prev_cost:
                prev, prev_cost = blocker, best[blocker]
        best[node] = prev_cost + weight(node)
        via[node] = prev
    if not best:
        return [], 0.0
    end = max(order, key=lambda n: best[n])
    path: list[N] = []
    cursor: N | None = end
    while cursor is not None:
        path.append(cursor)
        cursor = via[cursor]
    return path[::-1], best[end]


def closure(edges: Mapping[N, Iterable[N]], start: N) -> list[N]:
    """Every node reachable from start (excluding it), breadth first."""
    seen = {start}
    order: list[N] = []
    queue: deque[N] = deque([start])
    while queue:
        for child in edges.get(queue.popleft(), ()):
            if child not in seen:
                seen.add(child)
                order.append(child)
                queue.append(child)
    return order


def unblocked_by(
    node: N,
    deps: Deps[N],
    dependents: Mapping[N, Iterable[N]],
    is_pending: Callable[[N], bool],
    is_finished: Callable[[N], bool],
) -> list[N]:
    """The pending tasks that become ready once `node` finishes."""
    return [
        waiting
        for waiting in dependents.get(node, ())
        if is_pending(waiting) and all(b == node or is_finished(b) for b in deps.get(waiting, ()))
    ]


def longest_path_dense(
    weights: Sequence[float], edges: Iterable[tuple[int, int]]
) -> tuple[list[int], float]:
    """`critical_path` for large graphs: nodes are 0..n-1, `edges` are
    (task, blocker) index pairs. Adjacency is kept in flat arrays (compressed
    rows) of 4-byte indices, so 100k tasks and 200k edges take a few MB and a
    fraction of a second. Raises `CycleError` (with indices) if the edges are not a DAG."""
    n = len(weights)
    if n == 0:
        return [], 0.0
    tasks = array(INDEX)
    blockers = array(INDEX)
    for task, blocker in edges:
        tasks.append(task)
        blockers.append(blocker)
    # rows: for each blocker, the tasks waiting on it
    start = array(INDEX, [0]) * (n + 1)
    for b in blockers:
        start[b + 1] += 1
    for i in range(n):
        start[i + 1] += start[i]
    fill = array(INDEX, start[:n])
    waiting = array(INDEX, [0]) * len(tasks)
    indegree = array(INDEX, [0]) * n
    for t, b in zip(tasks, blockers, strict=True):
        waiting[fill[b]] = t
        fill[b] += 1
        indegree[t] += 1
    del fill
    best = array("d", weights)
    via = array(INDEX, [-1]) * n
    queue = deque(i for i in range(n) if indegree[i] == 0)
    seen = 0
    while queue:
        node = queue.popleft()
        seen += 1
        here = best[node]
        for k in range(start[node], start[node + 1]):
            t = waiting[k]
            if via[t] == -1 or here + weights[t] > best[t]:
                best[t] = here + weights[t]
                via[t] = node
            indegree[t] -= 1
            if indegree[t] == 0:
                queue.append(t)
    if seen != n:
        rest = {i for i in range(n) if indegree[i] > 0}
        deps = build_deps((t, b) for t, b in zip(tasks, blockers, strict=True) if t in rest)
        raise CycleError([str(x) for x in find_cycle(deps, rest) or []])
    end = max(range(n), key=best.__getitem__)
    path = [end]
    while via[path[-1]] != -1:
        path.append(via[path[-1]])
    return path[::-1], best[end]

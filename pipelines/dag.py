"""A pipeline is a DAG of component nodes; one description serves every runner."""

from __future__ import annotations

import dataclasses

from components import base


@dataclasses.dataclass(frozen=True)
class Ref:
    """An input wired to another node's output: ``Ref("search", "attack")``."""

    node: str
    output: str


@dataclasses.dataclass(frozen=True)
class Node:
    """One step: a component with its wired inputs (a Ref or a list of Refs) and parameters."""

    id: str
    component: base.ComponentSpec
    inputs: dict
    params: dict

    def upstream(self) -> list[str]:
        refs = []
        for v in self.inputs.values():
            refs += v if isinstance(v, list) else [v]
        return [r.node for r in refs]


def dependency_order(items, key, deps, describe_stuck) -> list:
    """``items`` ordered so that each comes after the keys in ``deps(item)`` (Kahn's algorithm,
    stable); raises ``ValueError(describe_stuck(pending))`` when no item can go next."""
    done, order, pending = set(), [], list(items)
    while pending:
        ready = [i for i in pending if deps(i) <= done]
        if not ready:
            raise ValueError(describe_stuck(pending))
        for i in ready:
            order.append(i)
            done.add(key(i))
            pending.remove(i)
    return order


@dataclasses.dataclass(frozen=True)
class Pipeline:
    """Nodes (run once each) and loops (a fan-out of nodes over a list of items)."""

    name: str
    nodes: tuple[Node, ...]
    loops: tuple["Loop", ...] = ()

    def flat(self) -> "Pipeline":
        """The same DAG with every loop expanded (what the local runner executes)."""
        return expand(self, self.loops) if self.loops else self

    def node(self, node_id: str) -> Node:
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise KeyError(f"no node {node_id!r}; nodes: {[n.id for n in self.nodes]}")

    def topological(self) -> list[Node]:
        """Nodes in dependency order; raises on cycles or dangling references."""
        if self.loops:
            return self.flat().topological()
        ids = {n.id for n in self.nodes}
        return dependency_order(
            self.nodes, lambda n: n.id, lambda n: set(n.upstream()),
            lambda pending: f"pipeline {self.name!r} has a cycle or unknown inputs: "
                            f"{ {n.id: sorted(set(n.upstream()) - ids) for n in pending} }")

    def validate(self) -> None:
        """Check every node's parameters and wiring before any work starts."""
        if self.loops:
            return self.flat().validate()
        for n in self.topological():
            n.component.resolve_params(n.params)
            for name, ref in n.inputs.items():
                if name not in n.component.inputs:
                    raise ValueError(f"node {n.id}: {n.component.name} has no input {name!r}; "
                                     f"inputs: {sorted(n.component.inputs)}")
                for r in (ref if isinstance(ref, list) else [ref]):
                    src = self.node(r.node).component
                    if r.output not in src.outputs:
                        raise ValueError(f"node {n.id}: {r.node} has no output {r.output!r}")
                    if src.outputs[r.output] != n.component.inputs[name]:
                        raise ValueError(f"node {n.id}: input {name} wants "
                                         f"{n.component.inputs[name]}, {r.node}.{r.output} is "
                                         f"{src.outputs[r.output]}")
            missing = [k for k in n.component.inputs
                       if k not in n.inputs and k not in n.component.optional_inputs]
            if missing:
                raise ValueError(f"node {n.id}: required input(s) {missing} not wired")


# ---------------------------------------------------------------- fan-out

@dataclasses.dataclass(frozen=True)
class Item:
    """A parameter taken from the current item of a :class:`Loop` (``Item("model")``)."""

    key: str


@dataclasses.dataclass(frozen=True)
class Loop:
    """A fan-out: ``nodes`` run once per item of ``items`` (dicts with the same keys).

    Inside the loop a node's parameters may be :class:`Item` and its inputs may be Refs to other
    nodes of the same loop (the same iteration) or to nodes outside it. Outside the loop, a Ref
    to a loop node means the list of that output over all items (Kubeflow's ``dsl.Collected``).
    Kubeflow compiles it to ``dsl.ParallelFor``; the local runner expands it in item order.
    """

    id: str
    items: tuple[dict, ...]
    nodes: tuple[Node, ...]

    def __post_init__(self):
        if not self.items:
            raise ValueError(f"loop {self.id!r} has no items")
        keys = [sorted(i) for i in self.items]
        if any(k != keys[0] for k in keys):
            raise ValueError(f"loop {self.id!r}: every item needs the same keys, got {keys}")
        for n in self.nodes:
            for name, v in n.params.items():
                if isinstance(v, Item) and v.key not in self.items[0]:
                    raise ValueError(f"loop {self.id!r}: node {n.id} parameter {name} uses item "
                                     f"key {v.key!r}; item keys: {keys[0]}")

    def node_ids(self) -> set[str]:
        return {n.id for n in self.nodes}


def expand_id(node_id: str, index: int) -> str:
    """The local runner's id of a loop node's ``index``-th iteration."""
    return f"{node_id}-{index}"


def expand(pipeline: Pipeline, loops: tuple[Loop, ...]) -> Pipeline:
    """A flat pipeline: each loop node repeated once per item (ids ``<node>-<i>``), its
    :class:`Item` parameters filled in; outside Refs to loop nodes become lists."""
    inside = {nid: loop for loop in loops for nid in loop.node_ids()}

    def outside_ref(r):
        if isinstance(r, list):
            out = []
            for x in r:
                y = outside_ref(x)
                out += y if isinstance(y, list) else [y]
            return out
        if r.node in inside:
            return [Ref(expand_id(r.node, i), r.output) for i in range(len(inside[r.node].items))]
        return r

    nodes = [dataclasses.replace(n, inputs={k: outside_ref(v) for k, v in n.inputs.items()})
             for n in pipeline.nodes]
    for loop in loops:
        for i, item in enumerate(loop.items):
            for n in loop.nodes:
                def local_ref(r, i=i):
                    if isinstance(r, list):
                        return [local_ref(x) for x in r]
                    return Ref(expand_id(r.node, i), r.output) if r.node in loop.node_ids() else r
                params = {k: (item[v.key] if isinstance(v, Item) else v)
                          for k, v in n.params.items()}
                nodes.append(Node(expand_id(n.id, i), n.component,
                                  {k: local_ref(v) for k, v in n.inputs.items()}, params))
    return Pipeline(pipeline.name, tuple(nodes))

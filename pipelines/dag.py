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


@dataclasses.dataclass(frozen=True)
class Pipeline:
    name: str
    nodes: tuple[Node, ...]

    def node(self, node_id: str) -> Node:
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise KeyError(f"no node {node_id!r}; nodes: {[n.id for n in self.nodes]}")

    def topological(self) -> list[Node]:
        """Nodes in dependency order; raises on cycles or dangling references."""
        ids = {n.id for n in self.nodes}
        done, order = set(), []
        pending = list(self.nodes)
        while pending:
            ready = [n for n in pending if set(n.upstream()) <= done]
            if not ready:
                bad = {n.id: sorted(set(n.upstream()) - ids) for n in pending}
                raise ValueError(f"pipeline {self.name!r} has a cycle or unknown inputs: {bad}")
            for n in ready:
                order.append(n)
                done.add(n.id)
                pending.remove(n)
        return order

    def validate(self) -> None:
        """Check every node's parameters and wiring before any work starts."""
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

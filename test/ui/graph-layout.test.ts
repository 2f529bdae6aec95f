import { describe, expect, it } from "vitest";
import { assignStages, countCrossings, edgePath, layoutGraph, orderStages, type GraphNodeInput } from "../../src/ui/core/graph-layout.js";

const node = (id: string, needs: string[] = [], height = 40): GraphNodeInput => ({ id, needs, height });

describe("assignStages", () => {
  it("puts a node one stage past the longest chain it needs", () => {
    // a -> b -> c, and d needs a and c: longest path puts d after c, not after a.
    const stages = assignStages([node("a"), node("b", ["a"]), node("c", ["b"]), node("d", ["a", "c"]), node("e")]);
    expect(Object.fromEntries(stages)).toEqual({ a: 0, b: 1, c: 2, d: 3, e: 0 });
  });

  it("ignores needs of jobs that are not in the graph and survives a cycle", () => {
    expect(Object.fromEntries(assignStages([node("x", ["gone"])]))).toEqual({ x: 0 });
    const cyclic = assignStages([node("a", ["b"]), node("b", ["a"]), node("c", ["c"])]);
    expect([...cyclic.values()].every((s) => Number.isInteger(s) && s >= 0)).toBe(true);
    expect(cyclic.get("c")).toBe(0);
  });
});

describe("orderStages", () => {
  it("keeps the workflow's order when nothing crosses", () => {
    const nodes = [node("build"), node("test", ["build"]), node("lint", ["build"]), node("deploy", ["test", "lint"])];
    expect(orderStages(nodes, assignStages(nodes))).toEqual([["build"], ["test", "lint"], ["deploy"]]);
  });

  it("untangles a fan-out whose second stage is listed in the opposite order", () => {
    // Two independent chains a1->b1 and a2->b2 with the second stage declared reversed: one crossing as declared.
    const nodes = [node("a1"), node("a2"), node("b2", ["a2"]), node("b1", ["a1"]), node("c2", ["b2"]), node("c1", ["b1"])];
    const stage = assignStages(nodes);
    const declared = [["a1", "a2"], ["b2", "b1"], ["c2", "c1"]];
    expect(countCrossings(declared, nodes)).toBe(1);
    const ordered = orderStages(nodes, stage);
    expect(countCrossings(ordered, nodes)).toBe(0);
    expect(ordered).toEqual([["a1", "a2"], ["b1", "b2"], ["c1", "c2"]]);
  });

  it("reduces crossings of a diamond with two sources", () => {
    // s1 feeds m2 and m3; s2 feeds m1; all middles feed the sink. Declared order m1, m2, m3 crosses.
    const nodes = [node("s1"), node("s2"), node("m1", ["s2"]), node("m2", ["s1"]), node("m3", ["s1"]), node("sink", ["m1", "m2", "m3"])];
    const declared = [["s1", "s2"], ["m1", "m2", "m3"], ["sink"]];
    expect(countCrossings(declared, nodes)).toBe(2);
    const ordered = orderStages(nodes, assignStages(nodes));
    expect(countCrossings(ordered, nodes)).toBe(0);
    expect(ordered[1]).toEqual(["m2", "m3", "m1"]);
  });
});

describe("countCrossings", () => {
  it("counts crossing pairs and not edges that share a node", () => {
    const nodes = [node("a"), node("b"), node("c", ["b"]), node("d", ["a"])];
    expect(countCrossings([["a", "b"], ["c", "d"]], nodes)).toBe(1);
    expect(countCrossings([["a", "b"], ["d", "c"]], nodes)).toBe(0);
    const fan = [node("a"), node("x", ["a"]), node("y", ["a"])];
    expect(countCrossings([["a"], ["y", "x"]], fan)).toBe(0);
  });
});

describe("layoutGraph", () => {
  const options = { nodeWidth: 200, columnGap: 60, rowGap: 10, padding: 20 };

  it("places stages in columns, centres shorter stacks and sizes the canvas", () => {
    const layout = layoutGraph([node("build"), node("test", ["build"], 100), node("lint", ["build"]), node("deploy", ["test", "lint"])], options);
    const at = Object.fromEntries(layout.nodes.map((n) => [n.id, n]));
    expect(layout.stages).toEqual([["build"], ["test", "lint"], ["deploy"]]);
    expect([at.build!.x, at.test!.x, at.lint!.x, at.deploy!.x]).toEqual([20, 280, 280, 540]);
    // The middle stack is 100 + 10 + 40 = 150 high; the single nodes sit in its middle.
    expect([at.test!.y, at.lint!.y]).toEqual([20, 130]);
    expect(at.build!.y).toBe(20 + (150 - 40) / 2);
    expect(layout.width).toBe(20 * 2 + 3 * 200 + 2 * 60);
    expect(layout.height).toBe(20 * 2 + 150);
  });

  it("draws one edge per need from the needed node's right side to the needing node's left side", () => {
    const nodes = [node("build", [], 40), { ...node("test", ["build"], 120), port: 20 }, node("deploy", ["test", "build", "test"])];
    const layout = layoutGraph(nodes, options);
    const at = Object.fromEntries(layout.nodes.map((n) => [n.id, n]));
    expect(layout.edges.map((e) => `${e.from}->${e.to}`).sort()).toEqual(["build->deploy", "build->test", "test->deploy"]);
    const edge = layout.edges.find((e) => e.from === "build" && e.to === "test")!;
    expect(edge.x1).toBe(at.build!.x + 200);
    expect(edge.y1).toBe(at.build!.y + 20);
    expect(edge.x2).toBe(at.test!.x);
    expect(edge.y2).toBe(at.test!.y + 20);
    expect(edge.path).toBe(edgePath(edge.x1, edge.y1, edge.x2, edge.y2));
    expect(edge.path).toMatch(/^M 220 \d+ C /);
    // An edge that skips a stage still ends at its target.
    const long = layout.edges.find((e) => e.from === "build" && e.to === "deploy")!;
    expect([long.x1, long.x2]).toEqual([220, at.deploy!.x]);
  });

  it("lines each node up with what it needs, so chains run straight, without overlapping", () => {
    const nodes = [node("a"), node("b"), node("c"), node("a2", ["a"]), node("c2", ["c"]), node("c3", ["c"])];
    const layout = layoutGraph(nodes, options);
    const at = Object.fromEntries(layout.nodes.map((n) => [n.id, n]));
    expect(at.a2!.y).toBe(at.a!.y);
    // c2 and c3 both want c's height: they share it, one above the other, around it.
    expect(at.c3!.y).toBe(at.c2!.y + 40 + 10);
    expect(at.c2!.y).toBeLessThanOrEqual(at.c!.y);
    expect(at.c3!.y).toBeGreaterThanOrEqual(at.c!.y);
    const straight = layout.edges.find((e) => e.from === "a")!;
    expect(straight.y1).toBe(straight.y2);
  });

  it("routes an edge that skips a stage around the node in its way", () => {
    // prepare -> check -> pack and prepare -> pack: the long edge would run straight through check.
    const nodes = [node("prepare"), node("check", ["prepare"], 120), node("pack", ["prepare", "check"])];
    const layout = layoutGraph(nodes, options);
    const check = layout.nodes.find((n) => n.id === "check")!;
    const long = layout.edges.find((e) => e.from === "prepare" && e.to === "pack")!;
    expect(long.y1).toBeGreaterThan(check.y);
    expect(long.y1).toBeLessThan(check.y + check.height);
    expect(long.via).toHaveLength(1);
    expect(long.via[0]! <= check.y || long.via[0]! >= check.y + check.height).toBe(true);
    expect(long.path).toContain(`L ${check.x + check.width} ${long.via[0]}`);
    expect(long.path.endsWith(`${long.x2} ${long.y2}`)).toBe(true);
    // Edges between neighbouring stages pass nothing.
    expect(layout.edges.filter((e) => e !== long).every((e) => e.via.length === 0)).toBe(true);
  });

  it("keeps a skipping edge clear of a node that sits between its ends", () => {
    const nodes = [node("a"), node("b"), node("c", ["b"]), node("d", ["a", "c"])];
    const layout = layoutGraph(nodes, options);
    const c = layout.nodes.find((n) => n.id === "c")!;
    const long = layout.edges.find((e) => e.from === "a" && e.to === "d")!;
    expect(long.via).toHaveLength(1);
    expect(long.via[0]! < c.y || long.via[0]! > c.y + c.height).toBe(true);
  });

  it("lays out thirty jobs without overlaps inside a column", () => {
    const nodes = [node("setup"), ...Array.from({ length: 28 }, (_, i) => node(`t${i}`, ["setup"])), node("report", Array.from({ length: 28 }, (_, i) => `t${i}`))];
    const layout = layoutGraph(nodes, options);
    expect(layout.stages.map((s) => s.length)).toEqual([1, 28, 1]);
    expect(layout.edges).toHaveLength(56);
    const middle = layout.nodes.filter((n) => n.stage === 1).sort((a, b) => a.y - b.y);
    for (let i = 1; i < middle.length; i++) expect(middle[i]!.y).toBeGreaterThanOrEqual(middle[i - 1]!.y + middle[i - 1]!.height + 10);
  });

  it("is empty without nodes", () => {
    expect(layoutGraph([])).toEqual({ stages: [], nodes: [], edges: [], width: 0, height: 0 });
  });
});

/**
 * Layout of a job graph, left to right: each node sits in the stage (column)
 * one past the longest chain of nodes it needs, nodes inside a stage are
 * ordered by barycentre sweeps to reduce edge crossings, and every `needs`
 * edge gets its endpoints and an SVG cubic curve from the right side of the
 * needed node to the left side of the node that needs it. Pure: sizes come
 * in, coordinates go out, so it runs under Node in tests.
 */

export interface GraphNodeInput {
  id: string;
  /** Ids of the nodes this one needs; unknown ids are ignored. */
  needs: readonly string[];
  /** Height in pixels (cards differ: an expanded matrix is taller). */
  height: number;
  /** Where edges attach, from the node's top; defaults to the middle. */
  port?: number;
}

export interface LayoutOptions {
  nodeWidth: number;
  columnGap: number;
  rowGap: number;
  padding: number;
}

interface PositionedNode {
  id: string;
  stage: number;
  /** Index inside its stage, top to bottom. */
  order: number;
  x: number;
  y: number;
  width: number;
  height: number;
}

interface PositionedEdge {
  /** The needed node. */
  from: string;
  /** The node that needs it. */
  to: string;
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  /**
   * Heights at which the edge crosses the stages it skips, one per skipped
   * stage, chosen clear of the nodes there; empty for neighbouring stages.
   */
  via: number[];
  /** SVG path data: horizontal-tangent cubic curves through the endpoints and the skipped stages. */
  path: string;
}

export interface GraphLayout {
  /** Node ids per stage, in their final order. */
  stages: string[][];
  nodes: PositionedNode[];
  edges: PositionedEdge[];
  width: number;
  height: number;
}

const DEFAULT_LAYOUT: LayoutOptions = { nodeWidth: 232, columnGap: 64, rowGap: 14, padding: 20 };

/**
 * Stage of every node: 0 without (known) needs, else one more than the
 * highest stage it needs (longest path). A needs cycle, which a valid
 * workflow cannot have, is cut where it closes instead of recursing forever.
 */
export function assignStages(nodes: readonly Pick<GraphNodeInput, "id" | "needs">[]): Map<string, number> {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const stage = new Map<string, number>();
  const visiting = new Set<string>();
  const stageOf = (id: string): number => {
    const known = stage.get(id);
    if (known !== undefined) return known;
    if (visiting.has(id)) return -1;
    visiting.add(id);
    let s = 0;
    for (const need of byId.get(id)!.needs) if (need !== id && byId.has(need)) s = Math.max(s, stageOf(need) + 1);
    visiting.delete(id);
    stage.set(id, s);
    return s;
  };
  for (const n of nodes) stageOf(n.id);
  return stage;
}

interface Edge {
  from: string;
  to: string;
}

function edgesOf(nodes: readonly Pick<GraphNodeInput, "id" | "needs">[], stage: Map<string, number>): Edge[] {
  const edges: Edge[] = [];
  for (const n of nodes) {
    const seen = new Set<string>();
    for (const need of n.needs) {
      if (seen.has(need) || !stage.has(need) || need === n.id) continue;
      seen.add(need);
      // Edges run forward only; a cut cycle leaves a backward need undrawn.
      if (stage.get(need)! < stage.get(n.id)!) edges.push({ from: need, to: n.id });
    }
  }
  return edges;
}

/** Position of each node as (stage, index within its stage). */
function positionsOf(stages: string[][]): Map<string, { stage: number; index: number }> {
  const pos = new Map<string, { stage: number; index: number }>();
  stages.forEach((ids, stage) => ids.forEach((id, index) => pos.set(id, { stage, index })));
  return pos;
}

function segmentsCross(a: [number, number, number, number], b: [number, number, number, number]): boolean {
  const [ax1, ay1, ax2, ay2] = a;
  const [bx1, by1, bx2, by2] = b;
  const orient = (px: number, py: number, qx: number, qy: number, rx: number, ry: number) => Math.sign((qx - px) * (ry - py) - (qy - py) * (rx - px));
  const d1 = orient(ax1, ay1, ax2, ay2, bx1, by1);
  const d2 = orient(ax1, ay1, ax2, ay2, bx2, by2);
  const d3 = orient(bx1, by1, bx2, by2, ax1, ay1);
  const d4 = orient(bx1, by1, bx2, by2, ax2, ay2);
  return d1 * d2 < 0 && d3 * d4 < 0;
}

/**
 * Edge crossings of an ordering, drawing each edge as a straight segment
 * from (stage, index) to (stage, index). Edges that share a node never count.
 */
export function countCrossings(stages: string[][], nodes: readonly Pick<GraphNodeInput, "id" | "needs">[]): number {
  const pos = positionsOf(stages);
  const stage = new Map([...pos].map(([id, p]) => [id, p.stage]));
  const edges = edgesOf(nodes.filter((n) => pos.has(n.id)), stage);
  const seg = (e: Edge): [number, number, number, number] => {
    const a = pos.get(e.from)!;
    const b = pos.get(e.to)!;
    return [a.stage, a.index, b.stage, b.index];
  };
  let crossings = 0;
  for (let i = 0; i < edges.length; i++) {
    for (let j = i + 1; j < edges.length; j++) {
      const a = edges[i]!;
      const b = edges[j]!;
      if (a.from === b.from || a.from === b.to || a.to === b.from || a.to === b.to) continue;
      if (segmentsCross(seg(a), seg(b))) crossings++;
    }
  }
  return crossings;
}

/**
 * Orders nodes inside their stages: the input order first, then alternating
 * down and up sweeps that sort each stage by the mean relative position of
 * its neighbours in other stages (barycentre). The ordering with the fewest
 * crossings wins; ties keep the earlier one, so a graph without crossings
 * keeps the workflow's order.
 */
export function orderStages(nodes: readonly Pick<GraphNodeInput, "id" | "needs">[], stage: Map<string, number>, sweeps = 4): string[][] {
  const count = Math.max(-1, ...stage.values()) + 1;
  const stages: string[][] = Array.from({ length: count }, () => []);
  for (const n of nodes) stages[stage.get(n.id)!]!.push(n.id);
  const edges = edgesOf(nodes, stage);
  const needsOf = new Map<string, string[]>();
  const neededBy = new Map<string, string[]>();
  for (const e of edges) {
    needsOf.set(e.to, [...(needsOf.get(e.to) ?? []), e.from]);
    neededBy.set(e.from, [...(neededBy.get(e.from) ?? []), e.to]);
  }

  let best = stages.map((s) => [...s]);
  let bestCrossings = countCrossings(best, nodes);
  const current = best.map((s) => [...s]);
  for (let sweep = 0; sweep < sweeps && bestCrossings > 0; sweep++) {
    const down = sweep % 2 === 0;
    const neighbours = down ? needsOf : neededBy;
    const range = down ? [...Array(count).keys()].slice(1) : [...Array(count).keys()].reverse().slice(1);
    for (const s of range) {
      const pos = positionsOf(current);
      // Relative position (0..1) keeps stages of different sizes comparable.
      const relative = (id: string) => {
        const p = pos.get(id)!;
        return current[p.stage]!.length <= 1 ? 0.5 : p.index / (current[p.stage]!.length - 1);
      };
      const keyed = current[s]!.map((id, index) => {
        const ns = neighbours.get(id) ?? [];
        const bary = ns.length ? ns.reduce((sum, n) => sum + relative(n), 0) / ns.length : relative(id);
        return { id, bary, index };
      });
      keyed.sort((a, b) => a.bary - b.bary || a.index - b.index);
      current[s] = keyed.map((k) => k.id);
    }
    const crossings = countCrossings(current, nodes);
    if (crossings < bestCrossings) {
      best = current.map((s) => [...s]);
      bestCrossings = crossings;
    }
  }
  return best;
}

/**
 * An SVG path leaving and entering horizontally: one cubic curve, or, through
 * skipped stages, a straight run across each stage (`via` gives its height
 * and x range) joined by curves.
 */
export function edgePath(x1: number, y1: number, x2: number, y2: number, via: ReadonlyArray<{ y: number; left: number; right: number }> = []): string {
  const curve = (ax: number, ay: number, bx: number, by: number) => {
    const dx = Math.max(12, (bx - ax) / 2);
    return `C ${ax + dx} ${ay}, ${bx - dx} ${by}, ${bx} ${by}`;
  };
  let d = `M ${x1} ${y1}`;
  let x = x1;
  let y = y1;
  for (const v of via) {
    d += ` ${curve(x, y, v.left, v.y)} L ${v.right} ${v.y}`;
    x = v.right;
    y = v.y;
  }
  return `${d} ${curve(x, y, x2, y2)}`;
}

/**
 * A height for an edge crossing a stage: where the straight line would cross
 * it, unless a node is there (with half a row gap around it), else the
 * nearest free height just above or below that node.
 */
function clearHeight(desired: number, boxes: ReadonlyArray<{ top: number; bottom: number }>): number {
  const hit = boxes.find((b) => desired > b.top && desired < b.bottom);
  if (!hit) return desired;
  const candidates = [hit.top, hit.bottom].filter((y) => !boxes.some((b) => y > b.top && y < b.bottom));
  return candidates.reduce((best, y) => (Math.abs(y - desired) < Math.abs(best - desired) ? y : best), candidates[0] ?? desired);
}

/**
 * The whole layout. Stages are columns `nodeWidth + columnGap` apart; each
 * stage's stack of nodes is centred vertically against the tallest stack.
 */
export function layoutGraph(nodes: readonly GraphNodeInput[], options: Partial<LayoutOptions> = {}): GraphLayout {
  const o = { ...DEFAULT_LAYOUT, ...options };
  const stage = assignStages(nodes);
  const stages = orderStages(nodes, stage);
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const stackHeight = (ids: string[]) => ids.reduce((h, id) => h + byId.get(id)!.height, 0) + Math.max(0, ids.length - 1) * o.rowGap;
  const tallest = Math.max(0, ...stages.map(stackHeight));
  const positioned = new Map<string, PositionedNode>();
  const portOffset = (id: string) => {
    const n = byId.get(id)!;
    return n.port ?? n.height / 2;
  };
  const portOf = (id: string) => positioned.get(id)!.y + portOffset(id);
  const needsOf = new Map<string, string[]>();
  for (const e of edgesOf(nodes, stage)) needsOf.set(e.to, [...(needsOf.get(e.to) ?? []), e.from]);
  stages.forEach((ids, s) => {
    const x = o.padding + s * (o.nodeWidth + o.columnGap);
    const centredTop = o.padding + (tallest - stackHeight(ids)) / 2;
    // Where each node would like to be: level with the mean port of what it needs, so chains run straight.
    let y = centredTop;
    const desired = ids.map((id) => {
      const needs = needsOf.get(id) ?? [];
      const at = needs.length ? needs.reduce((sum, n) => sum + portOf(n), 0) / needs.length - portOffset(id) : y;
      y += byId.get(id)!.height + o.rowGap;
      return at;
    });
    // In order and without overlaps (pushing down), then the stack moves up by the mean push, not above the padding.
    const tops: number[] = [];
    ids.forEach((id, i) => {
      const previous = i > 0 ? tops[i - 1]! + byId.get(ids[i - 1]!)!.height + o.rowGap : -Infinity;
      tops.push(Math.max(desired[i]!, previous));
    });
    const lift = ids.length ? tops.reduce((sum, t, i) => sum + (t - desired[i]!), 0) / ids.length : 0;
    const shift = Math.min(lift, (tops[0] ?? o.padding) - o.padding);
    ids.forEach((id, order) => {
      const height = byId.get(id)!.height;
      positioned.set(id, { id, stage: s, order, x, y: Math.round(tops[order]! - shift), width: o.nodeWidth, height });
    });
  });
  // The drawing starts at the padding, whatever the stacks' alignment left above.
  const top = Math.min(...[...positioned.values()].map((n) => n.y));
  for (const n of positioned.values()) n.y -= top - o.padding;
  const edges = edgesOf(nodes, stage).map((e): PositionedEdge => {
    const from = positioned.get(e.from)!;
    const to = positioned.get(e.to)!;
    const x1 = from.x + from.width;
    const y1 = portOf(e.from);
    const x2 = to.x;
    const y2 = portOf(e.to);
    const via: Array<{ y: number; left: number; right: number }> = [];
    for (let s = from.stage + 1; s < to.stage; s++) {
      const left = o.padding + s * (o.nodeWidth + o.columnGap);
      const t = (left + o.nodeWidth / 2 - x1) / (x2 - x1);
      const boxes = stages[s]!.map((id) => positioned.get(id)!).map((n) => ({ top: n.y - o.rowGap / 2, bottom: n.y + n.height + o.rowGap / 2 }));
      via.push({ y: Math.round(clearHeight(y1 + (y2 - y1) * t, boxes)), left, right: left + o.nodeWidth });
    }
    return { ...e, x1, y1, x2, y2, via: via.map((v) => v.y), path: edgePath(x1, y1, x2, y2, via) };
  });
  return {
    stages,
    nodes: nodes.map((n) => positioned.get(n.id)!),
    edges,
    width: stages.length ? o.padding * 2 + stages.length * o.nodeWidth + (stages.length - 1) * o.columnGap : 0,
    height: stages.length ? Math.max(...[...positioned.values()].map((n) => n.y + n.height + o.padding)) : 0,
  };
}

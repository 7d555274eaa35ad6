import { maxDepth } from "./inspect-data.ts";

/**
 * The most values a payload read from a row may expand to, counting a value once for every path that
 * reaches it: data with shared references (superjson's, Storable's) is a graph, which a framework then
 * walks as a tree (express-session and @fastify/session hash it with JSON.stringify). A few hundred
 * bytes of references to references would otherwise expand to billions of values and stall the process.
 */
export const maxExpandedValues = 1_000_000;

// Data a serializer has already found within these limits as it read it (for plain JSON, from its
// text alone): the walk below is then not needed.
const withinLimits = new WeakSet<object>();

/**
 * For a serializer: `data` was parsed by `JSON.parse` from `text` (a tree: no shared references) and
 * `text` shows it within the read limits when it spells no `__proto__` key (no such key, and no `\u`
 * escape that could spell one) and is too short to nest deeper than `maxDepth` (or counts no more
 * brackets). Then `readProblem` skips its walk. @returns `data`
 */
export function parsedWithinLimits<T>(data: T, text: string): T {
  if (typeof data === "object" && data !== null && !text.includes("__proto__") && !text.includes("\\u") && shallow(text)) {
    withinLimits.add(data);
  }
  return data;
}

function shallow(text: string): boolean {
  if (text.length <= 2 * maxDepth) return true;
  let open = 0;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if ((c === 0x7b || c === 0x5b) && ++open > maxDepth) return false;
  }
  return true;
}

interface Frame {
  node: object;
  children: ArrayLike<unknown>;
  next: number;
  size: number;
  depth: number;
}

// The values inside `value` (a Map's keys and values, a Set's items, an array's items, an object's own
// enumerable property values); undefined for a value with none to walk.
function childrenOf(value: object): ArrayLike<unknown> | undefined {
  if (Array.isArray(value)) return value;
  if (value instanceof Map) return [...value.keys(), ...value.values()];
  if (value instanceof Set) return [...value];
  const values = Object.values(value);
  return values.length === 0 ? undefined : values;
}

/**
 * What in `data` (a row's payload as a serializer read it) breaks a rule that the write path
 * enforces, or `undefined`: nesting deeper than `maxDepth`, or more than
 * `maxExpandedValues` values once shared references are expanded (a reference back to a value that
 * contains it counts once). Walks without recursion, so no payload can overflow the stack here.
 */
export function readProblem(data: unknown): string | undefined {
  if (typeof data !== "object" || data === null || withinLimits.has(data)) return undefined;
  const done = new Map<object, number>();
  const onPath = new Set<object>([data]);
  const stack: Frame[] = [{ node: data, children: childrenOf(data) ?? [], next: 0, size: 1, depth: 0 }];
  for (;;) {
    const frame = stack[stack.length - 1]!;
    if (frame.next < frame.children.length) {
      const child = frame.children[frame.next++];
      if (typeof child !== "object" || child === null) {
        frame.size += 1;
        continue;
      }
      const known = done.get(child);
      if (known !== undefined || onPath.has(child)) {
        frame.size += known ?? 1;
        if (frame.size > maxExpandedValues) return tooMany;
        continue;
      }
      const children = childrenOf(child);
      if (children === undefined) {
        frame.size += 1;
        continue;
      }
      if (frame.depth + 1 > maxDepth) return `data nested more than ${maxDepth} levels deep`;
      onPath.add(child);
      stack.push({ node: child, children, next: 0, size: 1, depth: frame.depth + 1 });
      continue;
    }
    stack.pop();
    onPath.delete(frame.node);
    done.set(frame.node, frame.size);
    const parent = stack[stack.length - 1];
    if (parent === undefined) return undefined;
    parent.size += frame.size;
    if (parent.size > maxExpandedValues) return tooMany;
  }
}

const tooMany = `data expanding to more than ${maxExpandedValues.toLocaleString("en")} values (shared references counted once per path)`;

/**
 * For session data handed to a framework or an app as a plain object: an own `__proto__` key at the
 * top level or in `cookie`, which the frameworks copy into their own session objects with plain
 * assignment (express-session's Session, @fastify/session's, `Object.assign` in an app) — where it
 * replaces that object's prototype. Deeper own `__proto__` keys are data (Perl's Storable has them),
 * and the lifecycle API, which copies nothing, keeps them all.
 */
export function frameworkProblem(data: Record<string, unknown>): string | undefined {
  return ownProto(data) ?? ownProto(data["cookie"]);
}

function ownProto(value: unknown): string | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) && Object.prototype.hasOwnProperty.call(value, "__proto__")
    ? "a key named __proto__ (it would replace the prototype of the session object it is copied into)"
    : undefined;
}

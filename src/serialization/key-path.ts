/** One step from a value to a value inside it: an object key, an array index, a Map entry or a Set item. */
export type PathStep =
  | { kind: "key"; key: string }
  | { kind: "index"; index: number }
  | { kind: "map-key"; entry: number }
  | { kind: "map-value"; key: unknown; entry: number }
  | { kind: "set-item"; entry: number };

/** A path as a linked list from the leaf up: extending it is O(1) while walking large data. */
export interface KeyPath {
  readonly parent: KeyPath | undefined;
  readonly step: PathStep;
}

const identifier = /^[A-Za-z_$][\w$]*$/;

/** `cart.items[2]`, `prefs.get("theme")`, `tags[item 0]`: how a developer would reach the value. */
export function formatKeyPath(path: KeyPath | undefined): string {
  const steps: PathStep[] = [];
  for (let at = path; at !== undefined; at = at.parent) steps.unshift(at.step);
  let text = "";
  for (const step of steps) {
    switch (step.kind) {
      case "key":
        text += identifier.test(step.key) ? `${text === "" ? "" : "."}${step.key}` : `[${JSON.stringify(step.key)}]`;
        break;
      case "index":
        text += `[${step.index}]`;
        break;
      case "map-key":
        text += `[key of entry ${step.entry}]`;
        break;
      case "map-value":
        text +=
          typeof step.key === "string" || typeof step.key === "number"
            ? `.get(${JSON.stringify(step.key)})`
            : `[value of entry ${step.entry}]`;
        break;
      case "set-item":
        text += `[item ${step.entry}]`;
        break;
    }
  }
  return text === "" ? "(the session itself)" : text;
}

/** A FIFO of session ids (created by `create`, consumed by `destroy`) without Array#shift's O(n). */
export class IdQueue {
  #items: string[] = [];
  #head = 0;

  get size(): number {
    return this.#items.length - this.#head;
  }

  push(id: string): void {
    this.#items.push(id);
  }

  shift(): string | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const id = this.#items[this.#head++];
    if (this.#head > 65_536 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return id;
  }
}

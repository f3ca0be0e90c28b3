/**
 * The bounded queue between the socket callbacks (producers) and the loop (one consumer). Policy
 * when full: the item is still kept — a closed bar is never dropped — and push answers false, so
 * the feed stops reading its sockets until the consumer has drained below half.
 */
export class BarQueue<T> {
  readonly capacity: number;
  private items: T[] = [];
  private head = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  get length(): number {
    return this.items.length - this.head;
  }

  /** false: at or over capacity, stop producing. */
  push(item: T): boolean {
    this.items.push(item);
    return this.length < this.capacity;
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head]!;
    this.head++;
    // Compact now and then so the array does not grow over a long session.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}

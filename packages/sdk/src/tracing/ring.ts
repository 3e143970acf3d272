/**
 * A bounded FIFO of serialised items: O(1) push, shift and "put back at the front", and the
 * oldest item is the one that gives way when it is full — what the export queue needs when a
 * server is down for long and spans keep coming.
 */
export class Ring<T> {
  private readonly items: (T | undefined)[];
  private head = 0;
  private count = 0;

  readonly capacity: number;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.items = new Array<T | undefined>(capacity);
  }

  get size(): number {
    return this.count;
  }

  /** Appends `item`; when full, the oldest item is removed first and returned. */
  push(item: T): T | undefined {
    let evicted: T | undefined;
    if (this.count === this.capacity) evicted = this.shift();
    this.items[(this.head + this.count) % this.capacity] = item;
    this.count++;
    return evicted;
  }

  /** Removes and returns the oldest item. */
  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) % this.capacity;
    this.count--;
    return item;
  }

  /** The oldest item, left in place. */
  peek(): T | undefined {
    return this.count === 0 ? undefined : this.items[this.head];
  }

  /**
   * Puts `item` back in front (it is older than everything held). False when full: the item is
   * then the oldest of all and is the one that gives way.
   */
  unshift(item: T): boolean {
    if (this.count === this.capacity) return false;
    this.head = (this.head - 1 + this.capacity) % this.capacity;
    this.items[this.head] = item;
    this.count++;
    return true;
  }
}

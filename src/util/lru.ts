/**
 * A least-recently-used map bounded by the total weight of its entries: bytes for cached layer
 * outputs, or 1 an entry for a count bound. Reads through `get` mark an entry as recently used; adding
 * drops the least recently used entries until the new one fits (an entry heavier than the bound is not
 * kept at all).
 */
export class LruCache<V> {
  private readonly entries = new Map<string, { value: V; weight: number }>();
  private total = 0;

  constructor(readonly maxWeight: number) {}

  get size(): number {
    return this.entries.size;
  }

  /** Total weight held. */
  get weight(): number {
    return this.total;
  }

  /** Whether `key` is held (without marking it used). */
  has(key: string): boolean {
    return this.entries.has(key);
  }

  /** The value of `key`, marked most recently used. */
  get(key: string): V | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    this.entries.delete(key);
    this.entries.set(key, e);
    return e.value;
  }

  set(key: string, value: V, weight = 1): void {
    const old = this.entries.get(key);
    if (old) {
      this.entries.delete(key);
      this.total -= old.weight;
    }
    if (weight > this.maxWeight) return;
    for (const [oldest, e] of this.entries) {
      if (this.total + weight <= this.maxWeight) break;
      this.entries.delete(oldest);
      this.total -= e.weight;
    }
    this.entries.set(key, { value, weight });
    this.total += weight;
  }

  clear(): void {
    this.entries.clear();
    this.total = 0;
  }
}

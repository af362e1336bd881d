// Best-fit-decreasing bin packing over a stream, one window of items at a time.
// Within a window, items are placed longest first into the open bin with the smallest room that
// fits (ties: deterministic). Bins stay open across windows so later short items fill their gaps;
// a bin closes when no length seen so far fits its room, or, when more than `maxOpenBins` are open,
// the fullest close first. At the end the open bins' items are packed once more, from scratch.

export interface Sized {
  length: number;
}

export interface Bin<T extends Sized> {
  id: number;
  items: T[];
  used: number;
}

/** Open bins indexed by remaining room: "smallest room ≥ len" in O(log capacity). */
export class CapacityIndex {
  private readonly size: number;
  private readonly counts: Int32Array; // segment tree of bin counts over room values 0..capacity
  private readonly buckets = new Map<number, number[]>();

  constructor(readonly capacity: number) {
    let size = 1;
    while (size < capacity + 1) size <<= 1;
    this.size = size;
    this.counts = new Int32Array(2 * size);
  }

  add(binId: number, room: number): void {
    const bucket = this.buckets.get(room);
    if (bucket) bucket.push(binId);
    else this.buckets.set(room, [binId]);
    this.bump(room, 1);
  }

  remove(binId: number, room: number): void {
    const bucket = this.buckets.get(room)!;
    bucket.splice(bucket.lastIndexOf(binId), 1);
    if (bucket.length === 0) this.buckets.delete(room);
    this.bump(room, -1);
  }

  /** The bin with the smallest room ≥ len (most recently added among equals), or undefined. */
  bestFit(len: number): { binId: number; room: number } | undefined {
    const room = this.firstNonEmptyAtOrAbove(len);
    if (room < 0) return undefined;
    const bucket = this.buckets.get(room)!;
    return { binId: bucket[bucket.length - 1], room };
  }

  private bump(room: number, delta: number): void {
    for (let node = room + this.size; node >= 1; node >>= 1) this.counts[node] += delta;
  }

  private firstNonEmptyAtOrAbove(lo: number): number {
    if (lo > this.capacity) return -1;
    let node = lo + this.size;
    if (this.counts[node] > 0) return lo;
    // Climb until a right sibling (a range entirely above) holds a bin, then descend leftmost.
    while (node > 1) {
      if ((node & 1) === 0 && this.counts[node + 1] > 0) {
        node++;
        while (node < this.size) node = this.counts[2 * node] > 0 ? 2 * node : 2 * node + 1;
        return node - this.size;
      }
      node >>= 1;
    }
    return -1;
  }
}

export interface BinPackerOptions<T extends Sized> {
  capacity: number;
  maxOpenBins: number;
  /** Called with each closed bin, in a deterministic order. */
  onClose: (bin: Bin<T>) => void;
}

export class BinPacker<T extends Sized> {
  private readonly open = new Map<number, Bin<T>>();
  private index: CapacityIndex;
  private nextId = 0;
  private minLengthSeen = Infinity;

  constructor(private readonly options: BinPackerOptions<T>) {
    this.index = new CapacityIndex(options.capacity);
  }

  get openBins(): number {
    return this.open.size;
  }

  /** Places a window of items (each length ≤ capacity), then closes bins that are done. */
  addWindow(items: T[]): void {
    this.place(items);
    this.closeDone();
  }

  /** Repacks what is still open from scratch and closes everything. */
  finish(): void {
    const carried = [...this.open.values()];
    this.reset([]);
    this.place(carried.flatMap((b) => b.items));
    // Rare: the fresh packing is worse than what was carried; keep the carried bins then.
    if (this.open.size > carried.length) this.reset(carried);
    this.closeBins([...this.open.values()]);
  }

  private reset(bins: Bin<T>[]): void {
    this.open.clear();
    this.index = new CapacityIndex(this.options.capacity);
    for (const b of bins) {
      this.open.set(b.id, b);
      this.index.add(b.id, this.options.capacity - b.used);
    }
  }

  private place(items: T[]): void {
    const order = items.slice().sort((a, b) => b.length - a.length); // stable: ties keep input order
    const capacity = this.options.capacity;
    for (const item of order) {
      if (item.length > capacity) throw new RangeError(`item of length ${item.length} exceeds bin capacity ${capacity}`);
      this.minLengthSeen = Math.min(this.minLengthSeen, item.length);
      const fit = this.index.bestFit(item.length);
      let bin: Bin<T>;
      if (fit) {
        bin = this.open.get(fit.binId)!;
        this.index.remove(bin.id, fit.room);
      } else {
        bin = { id: this.nextId++, items: [], used: 0 };
        this.open.set(bin.id, bin);
      }
      bin.items.push(item);
      bin.used += item.length;
      this.index.add(bin.id, capacity - bin.used);
    }
  }

  private closeDone(): void {
    const capacity = this.options.capacity;
    const done: Bin<T>[] = [];
    const rest: Bin<T>[] = [];
    for (const bin of this.open.values()) (capacity - bin.used < this.minLengthSeen ? done : rest).push(bin);
    const excess = rest.length - this.options.maxOpenBins;
    if (excess > 0) {
      rest.sort((a, b) => b.used - a.used || a.id - b.id);
      done.push(...rest.slice(0, excess));
    }
    this.closeBins(done);
  }

  private closeBins(bins: Bin<T>[]): void {
    bins.sort((a, b) => a.id - b.id);
    for (const bin of bins) {
      this.open.delete(bin.id);
      this.index.remove(bin.id, this.options.capacity - bin.used);
      this.options.onClose(bin);
    }
  }
}

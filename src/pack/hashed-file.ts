// A file written sequentially under a partial name, hashed (sha256 + locator) as it goes.
import { createHash, type Hash } from "node:crypto";
import { closeSync, openSync, writeSync } from "node:fs";
import { join } from "node:path";
import { PARTIAL_SUFFIX, type FileEntry } from "./format.js";
import { LocatorSums } from "./locator.js";

export class HashedFile {
  private fd: number;
  private readonly hash: Hash = createHash("sha256");
  private readonly locator = new LocatorSums();
  private bytes = 0;
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  /** `name` is the final file name inside `dir`; the file lives at name + ".partial" until renamed. */
  constructor(
    readonly dir: string,
    readonly name: string,
  ) {
    this.fd = openSync(this.partialPath, "w");
  }

  get partialPath(): string {
    return join(this.dir, this.name + PARTIAL_SUFFIX);
  }

  get finalPath(): string {
    return join(this.dir, this.name);
  }

  get size(): number {
    return this.bytes + this.pendingBytes;
  }

  /** Small writes are buffered (the caller may reuse `data` afterwards: it is copied if kept). */
  write(data: Uint8Array): void {
    if (data.length >= 1 << 16) {
      this.flush();
      this.writeNow(data);
      return;
    }
    this.pending.push(Buffer.from(data));
    this.pendingBytes += data.length;
    if (this.pendingBytes >= 1 << 20) this.flush();
  }

  writeText(text: string): void {
    const buf = Buffer.from(text, "utf8");
    this.pending.push(buf);
    this.pendingBytes += buf.length;
    if (this.pendingBytes >= 1 << 20) this.flush();
  }

  flush(): void {
    if (this.pendingBytes === 0) return;
    const buf = Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    this.writeNow(buf);
  }

  close(): FileEntry {
    this.flush();
    closeSync(this.fd);
    this.fd = -1;
    return { path: this.name, bytes: this.bytes, sha256: this.hash.digest("hex"), locator: this.locator.digest() };
  }

  private writeNow(data: Uint8Array): void {
    this.hash.update(data);
    this.locator.update(data);
    let done = 0;
    while (done < data.length) done += writeSync(this.fd, data, done, data.length - done);
    this.bytes += data.length;
  }
}

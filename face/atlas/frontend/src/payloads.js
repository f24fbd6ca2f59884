// Big arguments (coordinates, labels, thumbnails, decoder weights) by content hash. Python sends a payload's bytes
// only when it believes this frame lacks them; the frame keeps what it got and asks for what it lacks.

/** An aligned copy of a Uint8Array (Streamlit's may be a view at any offset into a larger message). */
export function ownBuffer(u8) {
  return u8.buffer.slice(u8.byteOffset, u8.byteOffset + u8.byteLength);
}

export class Payloads {
  constructor() {
    this.store = new Map();   // hash -> ArrayBuffer
    this.wanted = new Set();
  }

  /**
   * Take the payloads of a render (meta: {name: hash}; args["data_" + name]: bytes when sent). Returns the hashes still
   * missing. Payloads no longer named are dropped, so memory holds one set.
   */
  update(meta, args) {
    const wanted = (this.wanted = new Set(Object.values(meta || {})));
    for (const [name, hash] of Object.entries(meta || {})) {
      if (!this.store.has(hash) && args[`data_${name}`] instanceof Uint8Array) {
        this.store.set(hash, ownBuffer(args[`data_${name}`]));
      }
    }
    for (const hash of [...this.store.keys()]) if (!wanted.has(hash)) this.store.delete(hash);
    return this.missing();
  }

  missing() {
    return [...this.wanted].filter((h) => !this.store.has(h));
  }

  get(hash) {
    return this.store.get(hash) || null;
  }

  /** Free the bytes of a payload its user has unpacked (10 MB of compressed pictures), still counting it as held. */
  release(hash) {
    if (this.store.has(hash)) this.store.set(hash, new ArrayBuffer(0));
  }
}

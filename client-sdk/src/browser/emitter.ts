// A small typed event emitter for the browser SDK (no Node EventEmitter in the browser bundle).
export class Emitter<Events extends Record<string, unknown>> {
  private readonly listeners = new Map<keyof Events, Set<(ev: never) => void>>();

  on<K extends keyof Events>(type: K, listener: (ev: Events[K]) => void): () => void {
    let set = this.listeners.get(type);
    if (set === undefined) this.listeners.set(type, (set = new Set()));
    set.add(listener as (ev: never) => void);
    return () => set.delete(listener as (ev: never) => void);
  }

  protected emit<K extends keyof Events>(type: K, ev: Events[K]): void {
    for (const l of this.listeners.get(type) ?? []) {
      try {
        (l as (ev: Events[K]) => void)(ev);
      } catch (err) {
        // An application listener's bug must not break the call's own bookkeeping.
        console.error(`voxgate: a '${String(type)}' listener threw`, err);
      }
    }
  }
}

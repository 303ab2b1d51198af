// The listener registry of a caller connection that adapts another dialect to the load tester's events
// (realtime-caller.ts, phone-caller.ts): on() as the SDK's VoiceClient has it, emit() for the adapter.
import type { CallerEvents } from './transports.ts';

type Listener = (ev: never) => void;

export class CallerEventEmitter {
  private readonly listeners = new Map<keyof CallerEvents, Set<Listener>>();

  on<K extends keyof CallerEvents>(type: K, listener: (ev: CallerEvents[K]) => void): () => void {
    let set = this.listeners.get(type);
    if (set === undefined) this.listeners.set(type, (set = new Set()));
    set.add(listener as Listener);
    return () => set.delete(listener as Listener);
  }

  protected emit<K extends keyof CallerEvents>(type: K, ev: CallerEvents[K]): void {
    for (const l of this.listeners.get(type) ?? []) (l as (e: CallerEvents[K]) => void)(ev);
  }
}

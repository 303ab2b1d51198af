// What calls report as they run, for metrics and logs: one interface, so the gateway knows nothing of Prometheus.
import type { ErrorCode } from '../errors.ts';
import type { TurnTimings } from '../engine/types.ts';
import type { CallClosedInfo } from './call.ts';

export type TurnOutcome = 'done' | 'interrupted' | 'error';

export interface CallObserver {
  /** Every call's end; admitted: false for a call refused at the door (it never ran). */
  callEnded(info: CallClosedInfo, admitted: boolean): void;
  turnEnded(transport: string, outcome: TurnOutcome, timings?: TurnTimings): void;
  /** An error event sent to a caller (fatal or not). */
  errorSent(code: ErrorCode): void;
}

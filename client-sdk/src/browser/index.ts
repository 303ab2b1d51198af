// voxgate browser SDK: one call over WebRTC or WebSocket (VoxgateCall), and the pieces it is made of for
// applications that want their own audio handling (socket factories for the VoiceClient core).
export { VoxgateCall, type VoxgateCallOptions, type VoxgateCallEvents, type TurnReport, type CallStats, type CallState, type TransportKind } from './call.ts';
export type { ClientTimings } from './turn-clock.ts';
export { openBrowserWebSocket } from './socket-ws.ts';
export { browserWebRtcSocketFactory, type BrowserWebRtcSetup } from './socket-webrtc.ts';
export { VoiceClient, type CloseInfo } from '../client.ts';
export { VoiceClientError } from '../errors.ts';
export { MODES, type Mode, type ErrorCode, type TurnTimings } from '../protocol/index.ts';

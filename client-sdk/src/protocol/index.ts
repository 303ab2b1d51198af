// The voxgate wire protocol, version 1: the one definition both the server and the SDK import.
export * from './constants.ts';
export type * from './messages.ts';
export * from './binary.ts';
export * from './encode.ts';
export * from './decode-client.ts';
export * from './decode-server.ts';
export * from './close-codes.ts';
export * from './pcm16.ts';
export type { Decoded, ProtocolViolation } from './result.ts';
export { ERROR_CODES } from './error-codes.ts';

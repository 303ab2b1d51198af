#!/usr/bin/env node
// The CLI runs the TypeScript sources directly through tsx, so `npx voxgate` needs no build step.
import { register } from 'tsx/esm/api';

register();
await import('../server/src/cli/main.ts');

#!/usr/bin/env -S node --max-semi-space-size=1
// V8's young generation capped at start-up (a documented Node option, never changed at run
// time): every socket read is a fresh 64 KiB buffer, and a small young generation frees
// them within a few MiB (icqrecv over 60 transfers: 65 MiB flat, 87 MiB with the default).
import { main } from '../dist/src/cli/icqrecv.js';
main(process.argv);

#!/usr/bin/env node
import { setFlagsFromString } from 'node:v8';
import { main } from '../dist/src/cli/icqrecv.js';
// Every socket read is a new 64 KiB buffer, freed only by a young-generation GC: a young
// generation kept at its initial size and collected at 5 % full frees them every few MiB,
// and a GC on this thread alone frees them at once rather than from a helper thread later
// (peak RSS on a 512 MiB receive: 92-97 MiB with V8's defaults, 67 with a 20 % trigger, 63-65
// at 5 %, 61.6-62.4 single-threaded; no CPU or time difference measurable on 2 cores).
setFlagsFromString('--semi-space-growth-factor=1');
setFlagsFromString('--minor-gc-task-trigger=5');
setFlagsFromString('--single-threaded-gc');
main(process.argv);

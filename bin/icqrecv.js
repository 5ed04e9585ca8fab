#!/usr/bin/env node
import { setFlagsFromString } from 'node:v8';
import { main } from '../dist/src/cli/icqrecv.js';
// Every socket read is a new 64 KiB buffer, freed only by a young-generation GC: keeping that
// generation at its initial size frees them every few MiB (peak RSS on 512 MiB: 97 -> 72 MiB).
setFlagsFromString('--semi-space-growth-factor=1');
main(process.argv);

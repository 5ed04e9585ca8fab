#!/usr/bin/env node
import { main } from '../dist/src/cli/icqd.js';
main(process.argv);

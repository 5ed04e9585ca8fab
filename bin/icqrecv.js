#!/usr/bin/env node
import { main } from '../dist/src/cli/icqrecv.js';
main(process.argv);

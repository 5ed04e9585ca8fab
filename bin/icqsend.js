#!/usr/bin/env node
import { main } from '../dist/src/cli/icqsend.js';
main(process.argv);

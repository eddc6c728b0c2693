#!/usr/bin/env node
// The `gatehouse` binary: Node 24 runs the TypeScript sources directly.
import '../src/main.ts';

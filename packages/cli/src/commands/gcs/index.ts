// The GCS Manager command groups, for main.ts to register: endpoint subcommands plus the top-level resource groups.
import type { Command } from 'commander';
import { collectionCommand } from './collection.ts';
import { sharingPolicyCommand } from './sharing-policy.ts';
import { storageGatewayCommand } from './storage-gateway.ts';
import { userCredentialsCommand } from './user-credentials.ts';

export { gcsEndpointCommands } from './endpoint.ts';

/** Top-level command names these groups use (they only talk HTTP: no server package needed). */
export const GCS_COMMAND_NAMES = ['storage-gateway', 'collection', 'sharing-policy', 'user-credentials'] as const;

/** `storage-gateway`, `collection`, `sharing-policy`, `user-credentials`. */
export function gcsCommands(): Command[] {
  return [storageGatewayCommand(), collectionCommand(), sharingPolicyCommand(), userCredentialsCommand()];
}

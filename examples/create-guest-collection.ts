// The Globus SDK guest-collection script (client identity: user credential, then guest collection) with @gatehouse/sdk.
//
// Run: GATEHOUSE_URL=https://gatehouse.example.org:8443 GATEHOUSE_CA_FILE=ca.pem ENDPOINT_ID=… \
//      MAPPED_COLLECTION_ID=… STORAGE_GATEWAY_ID=… CLIENT_ID=… CLIENT_SECRET=… LOCAL_USERNAME=… \
//      node examples/create-guest-collection.ts
//
// The client identity needs a mapping to LOCAL_USERNAME on the storage gateway, and the mapped
// collection must allow guest collections. Swap ClientCredentialsAuthorizer for a
// RefreshTokenAuthorizer or AccessTokenAuthorizer to act as a user instead.
import fs from 'node:fs';
import tls from 'node:tls';
import { Agent } from 'undici';
import {
  ClientCredentialsAuthorizer,
  ConfidentialAppAuthClient,
  GCSAPIError,
  GCSClient,
  GCSCollectionScopes,
  GCSEndpointScopes,
  GlobusAPIError,
  GuestCollectionDocument,
  UserCredentialDocument,
} from '@gatehouse/sdk';

function required(name: string): string {
  const value = process.env[name];
  if (!value) {
    process.stderr.write(`${name} must be set\n`);
    process.exit(2);
  }
  return value;
}

const gatehouseUrl = required('GATEHOUSE_URL');
const endpointId = required('ENDPOINT_ID');
const mappedCollectionId = required('MAPPED_COLLECTION_ID');
const storageGatewayId = required('STORAGE_GATEWAY_ID');
const clientId = required('CLIENT_ID');
const clientSecret = required('CLIENT_SECRET');
const localUsername = required('LOCAL_USERNAME');

// A private CA is added to the public roots, so the same script works behind a public certificate.
const caFile = process.env.GATEHOUSE_CA_FILE;
const dispatcher = caFile ? new Agent({ connect: { ca: [...tls.rootCertificates, fs.readFileSync(caFile, 'utf8')] } }) : undefined;

// The primary scope is the endpoint's; creating a guest collection on a (non high-assurance) mapped
// collection also needs consent to the mapped collection's data_access, as a dependency.
const scope = GCSEndpointScopes(endpointId).manage_collections.withDependency(GCSCollectionScopes(mappedCollectionId).data_access);

// Gatehouse serves Auth and the GCS Manager API from one origin.
const confidentialClient = new ConfidentialAppAuthClient(clientId, clientSecret, { baseUrl: gatehouseUrl, dispatcher });
const authorizer = new ClientCredentialsAuthorizer(confidentialClient, scope);
const client = new GCSClient(gatehouseUrl, { authorizer, dispatcher });

try {
  // The identity creating the guest collection needs a user credential on the storage gateway.
  // POSIX needs no connector policies here; other connectors would pass them as `policies`.
  const credential = new UserCredentialDocument({ storageGatewayId, identityId: clientId, username: localUsername });
  try {
    await client.createUserCredential(credential);
  } catch (error) {
    // Re-running the script finds the credential from last time.
    if (!(error instanceof GCSAPIError && error.httpStatus === 409)) throw error;
  }

  const collection = new GuestCollectionDocument({
    public: 'True',
    collectionBasePath: '/',
    displayName: 'guest_collection',
    mappedCollectionId,
  });
  const response = await client.createCollection(collection);
  const guestCollectionId = response.data.id;
  console.log(`guest collection ${guestCollectionId} created`);
} catch (error) {
  if (!(error instanceof GlobusAPIError)) throw error;
  process.stderr.write(`${error.httpStatus} ${error.code}: ${error.message}\n${JSON.stringify(error.raw, null, 2)}\n`);
  process.exitCode = 1;
} finally {
  await dispatcher?.close();
}

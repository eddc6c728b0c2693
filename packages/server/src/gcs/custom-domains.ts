// Custom domains (domain#1.0.0 input): the request body, its certificate material checked, and a domain applied to a collection.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { Type } from '@fastify/type-provider-typebox';
import type { Db } from '../store/db.ts';
import { toJson } from '../store/db.ts';
import { Bool, Nullable, checkDataType, toBool } from './documents/request.ts';
import { gcsError, invalidInput } from './envelope.ts';
import { DOMAIN_PATH_FIELDS, DomainFileError, readDomainFile } from '../tls-domain-files.ts';
import { type DomainRecord } from './documents/domain.ts';
import type { Collection } from './collection-repo.ts';
const PemField = () => Type.Optional(Nullable(Type.String({ maxLength: 65536 })));
const PathField = () => Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 4096 })));

export const DomainBody = Type.Object(
  {
    DATA_TYPE: Type.Optional(Type.String({ maxLength: 64 })),
    domain_name: Type.String({ minLength: 1, maxLength: 253 }),
    wildcard: Bool(),
    certificate: PemField(),
    certificate_chain: PemField(),
    private_key: PemField(),
    certificate_path: PathField(),
    certificate_chain_path: PathField(),
    private_key_path: PathField(),
  },
  { additionalProperties: true },
);

const HOST_RE = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/;

/**
 * The PEM text of each part given, inline or from its `*_path` file. A path is read only under the
 * operator's certificate directory (tls-domain-files.ts); any refusal is a 400 that reads the same
 * whatever lies outside it.
 */
async function domainMaterial(
  body: Record<string, unknown>,
  certDir: string | undefined,
): Promise<Partial<Record<'certificate' | 'certificate_chain' | 'private_key', { pem: string; field: string }>>> {
  const material: Partial<Record<'certificate' | 'certificate_chain' | 'private_key', { pem: string; field: string }>> = {};
  for (const part of ['certificate', 'certificate_chain', 'private_key'] as const) {
    const file = body[`${part}_path`];
    let fromFile: string | undefined;
    if (typeof file === 'string') {
      try {
        fromFile = await readDomainFile(certDir, `${part}_path`, file);
      } catch (error) {
        if (error instanceof DomainFileError) throw gcsError(400, error.message);
        throw error;
      }
    }
    const inline = body[part];
    if (typeof inline === 'string') material[part] = { pem: inline, field: part };
    else if (fromFile !== undefined) material[part] = { pem: fromFile, field: `${part}_path` };
  }
  return material;
}

/** Validates a domain#1.0.0 body into its stored form: a lower-case host name (no `*.`) plus the private fields given. */
export async function domainRecord(body: Record<string, unknown>, certDir: string | undefined): Promise<DomainRecord> {
  checkDataType(body, 'domain');
  let name = String(body.domain_name).trim().toLowerCase().replace(/\.$/, '');
  const wildcard = toBool(body.wildcard) === true;
  if (name.startsWith('*.')) {
    if (!wildcard) throw invalidInput('A *. domain_name needs wildcard: true', 'domain_name');
    name = name.slice(2);
  }
  if (!HOST_RE.test(name)) throw invalidInput(`domain_name ${String(body.domain_name)} is not a DNS name`, 'domain_name');
  const record: DomainRecord = { domain_name: name, wildcard };
  const material = await domainMaterial(body, certDir);
  for (const f of DOMAIN_PATH_FIELDS) if (typeof body[f] === 'string') record[f] = body[f];
  const errors: string[] = [];
  let cert: X509Certificate | undefined;
  if (material.certificate) {
    try {
      cert = new X509Certificate(material.certificate.pem);
    } catch {
      errors.push(`${material.certificate.field} is not a PEM X.509 certificate`);
    }
  }
  if (typeof body.certificate === 'string' && cert) record.certificate = body.certificate;
  if (typeof body.certificate_chain === 'string') record.certificate_chain = body.certificate_chain;
  if (cert && !material.private_key) errors.push('certificate needs private_key or private_key_path');
  // SNI serves this certificate for the domain's names: one that does not cover them would fail every client.
  if (cert && cert.checkHost(wildcard ? `m-000000.${name}` : name) === undefined) errors.push(`certificate does not cover ${wildcard ? `*.${name}` : name}`);
  if (material.private_key) {
    try {
      const key = createPrivateKey(material.private_key.pem);
      if (cert && !cert.checkPrivateKey(key)) errors.push(`${material.private_key.field} does not match certificate`);
      if (typeof body.private_key === 'string') record.private_key = body.private_key;
    } catch {
      errors.push(`${material.private_key.field} is not a PEM private key`);
    }
  }
  if (errors.length) throw invalidInput(errors);
  return record;
}

/** Collections (other than `except`) already answering to this host name: the unique index's lookup. */
export async function hostNameUsers(db: Db, name: string, except?: string): Promise<string[]> {
  let q = db.selectFrom('collections').select('id').where('domain_name', '=', name);
  if (except) q = q.where('id', '!=', except);
  return (await q.execute()).map((r) => r.id);
}

export function conflict(name: string, resources: string[]) {
  return gcsError(409, `Domain ${name} is in use`, { DATA_TYPE: 'resource_conflict#1.0.0', resources });
}

/** The collection without its custom domain: back to the host name it was assigned. */
export function withoutDomain(collection: Collection): { doc: Record<string, unknown>; domainName: string } {
  const doc = { ...collection.doc };
  const domainName = typeof doc.assigned_domain_name === 'string' ? doc.assigned_domain_name : collection.row.domain_name;
  for (const f of ['domain', 'custom_domain', 'assigned_domain_name']) delete doc[f];
  return { doc, domainName };
}

/**
 * Gives a collection a custom domain: a plain name becomes its host name (unique); a wildcard on a
 * mapped collection puts its guests under that domain and leaves its own host name as assigned.
 */
export async function applyCollectionDomain(db: Db, collection: Collection, record: DomainRecord, endpointName: string | undefined): Promise<void> {
  if (record.wildcard && collection.row.collection_type !== 'mapped') throw invalidInput('Only a mapped collection may have a wildcard domain', 'wildcard');
  const base = withoutDomain(collection);
  let domainName = base.domainName;
  const doc: Record<string, unknown> = { ...base.doc, domain: record };
  if (!record.wildcard) {
    const users = await hostNameUsers(db, record.domain_name, collection.row.id);
    if (users.length || endpointName === record.domain_name) throw conflict(record.domain_name, users);
    doc.assigned_domain_name = base.domainName;
    doc.custom_domain = true;
    domainName = record.domain_name;
  }
  await db
    .updateTable('collections')
    .set({ document: toJson(doc), domain_name: domainName })
    .where('id', '=', collection.row.id)
    .execute();
}

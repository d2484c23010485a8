/**
 * The crypto engine pkijs uses for Mobile ID: pkijs's own engine over Node's WebCrypto, with the
 * operations of a signature check computed in place by node:crypto.
 *
 * Node's WebCrypto runs every digest and every signature check as a job on the libuv thread pool.
 * For the few small operations of one verification, handing a job over and back costs the event
 * loop more than the work itself (measured here: a SHA-256 of a DTBD 2 µs in place against about
 * 50 µs as a job; an ECDSA P-256 check 57 µs against about 100 µs; RSA 2048 17 µs against 58 µs).
 * So:
 * - digests (SHA-1/256/384/512) and signature checks (ECDSA, RSASSA-PKCS1-v1_5, RSA-PSS) are
 *   computed by node:crypto with the same parameters WebCrypto would use, and give the same
 *   answers (true, false, or the same errors for a key that does not fit, which WebCrypto raises);
 * - a public key is imported once per certificate (pkijs turns the SubjectPublicKeyInfo into a JWK
 *   and imports that, which costs more than the signature check) and kept with the certificate's
 *   parsed key, which lives as long as the certificate (certificate-cache.ts);
 * - everything else goes to WebCrypto unchanged.
 */
import crypto from 'node:crypto';

import * as pkijs from 'pkijs';

const HASHES: Readonly<Record<string, string>> = { 'SHA-1': 'sha1', 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' };

type Algorithm = globalThis.AlgorithmIdentifier | RsaPssParams | EcdsaParams;

const algorithmName = (algorithm: unknown): string | undefined =>
  typeof algorithm === 'string' ? algorithm : typeof algorithm === 'object' && algorithm !== null && 'name' in algorithm && typeof algorithm.name === 'string' ? algorithm.name : undefined;

/** node:crypto's name of a WebCrypto hash (`'SHA-256'` or `{ name: 'SHA-256' }`), if we compute it. */
const nodeHash = (algorithm: unknown): string | undefined => HASHES[algorithmName(algorithm)?.toUpperCase() ?? ''];

const view = (data: BufferSource): Uint8Array =>
  ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);

const keyObjects = new WeakMap<CryptoKey, crypto.KeyObject>();

function keyObject(key: CryptoKey): crypto.KeyObject {
  let object = keyObjects.get(key);
  if (!object) {
    object = crypto.KeyObject.from(key);
    keyObjects.set(key, object);
  }
  return object;
}

/**
 * node:crypto's arguments for the WebCrypto check `verify(algorithm, key, …)`, or undefined when
 * WebCrypto must do it (another algorithm, or a key that does not fit, which WebCrypto refuses
 * with its own error). As in WebCrypto, ECDSA takes its hash from the algorithm, RSA from the key;
 * ECDSA signatures are r ‖ s (IEEE P1363), which is what pkijs hands over.
 */
function nodeVerification(algorithm: Algorithm, key: CryptoKey): { hash: string; options: Omit<crypto.VerifyKeyObjectInput, 'key'> } | undefined {
  const name = algorithmName(algorithm)?.toUpperCase();
  if (key.type !== 'public' || !key.usages.includes('verify') || key.algorithm.name.toUpperCase() !== name) return undefined;
  const keyHash = 'hash' in key.algorithm ? nodeHash((key.algorithm as RsaHashedKeyAlgorithm).hash) : undefined;
  switch (name) {
    case 'ECDSA': {
      const hash = nodeHash((algorithm as EcdsaParams).hash);
      return hash ? { hash, options: { dsaEncoding: 'ieee-p1363' } } : undefined;
    }
    case 'RSASSA-PKCS1-V1_5':
      return keyHash ? { hash: keyHash, options: { padding: crypto.constants.RSA_PKCS1_PADDING } } : undefined;
    case 'RSA-PSS': {
      const saltLength = (algorithm as RsaPssParams).saltLength;
      if (!keyHash || !Number.isInteger(saltLength) || saltLength < 0) return undefined;
      return { hash: keyHash, options: { padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength } };
    }
    default:
      return undefined;
  }
}

class NodeCryptoEngine extends pkijs.CryptoEngine {
  /** Imported keys, per parsed SubjectPublicKeyInfo and per import parameters. */
  private readonly publicKeys = new WeakMap<pkijs.PublicKeyInfo, Map<string, Promise<CryptoKey>>>();

  override async digest(algorithm: globalThis.AlgorithmIdentifier, data: BufferSource): Promise<ArrayBuffer> {
    const hash = nodeHash(algorithm);
    if (!hash) return super.digest(algorithm, data);
    const digest = crypto.createHash(hash).update(view(data)).digest();
    return digest.buffer.slice(digest.byteOffset, digest.byteOffset + digest.byteLength);
  }

  override async verify(algorithm: Algorithm, key: CryptoKey, signature: BufferSource, data: BufferSource): Promise<boolean> {
    const verification = nodeVerification(algorithm, key);
    if (!verification) return super.verify(algorithm, key, signature, data);
    return crypto.verify(verification.hash, view(data), { key: keyObject(key), ...verification.options }, view(signature));
  }

  private keysOf(publicKeyInfo: pkijs.PublicKeyInfo): Map<string, Promise<CryptoKey>> {
    let keys = this.publicKeys.get(publicKeyInfo);
    if (!keys) {
      keys = new Map();
      this.publicKeys.set(publicKeyInfo, keys);
    }
    return keys;
  }

  override getPublicKey(
    publicKeyInfo: pkijs.PublicKeyInfo,
    signatureAlgorithm: pkijs.AlgorithmIdentifier,
    parameters?: pkijs.CryptoEnginePublicKeyParams,
  ): Promise<CryptoKey> {
    const params = parameters ?? this.fillPublicKeyParameters(publicKeyInfo, signatureAlgorithm);
    const id = JSON.stringify(params.algorithm);
    const keys = this.keysOf(publicKeyInfo);
    let key = keys.get(id);
    if (!key) {
      key = super.getPublicKey(publicKeyInfo, signatureAlgorithm, params);
      keys.set(id, key);
      // A key that cannot be imported is not kept: the next attempt raises the error again.
      key.catch(() => keys.delete(id));
    }
    return key;
  }
}

/** pkijs's engine for this domain, passed explicitly to every pkijs call. */
export const pkiCrypto: pkijs.ICryptoEngine = new NodeCryptoEngine({ name: 'node-crypto', crypto: globalThis.crypto });

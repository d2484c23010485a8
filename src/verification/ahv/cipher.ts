/**
 * AHV numbers at rest: AES-256-GCM under a key derived (HKDF-SHA256) from KEY_ENCRYPTION_KEY for
 * this purpose only, with the account id as associated data (a ciphertext moved to another
 * account does not decrypt). A keyed hash (HMAC-SHA256, its own derived key) finds a number
 * without decrypting anything.
 */
import crypto from 'node:crypto';

const VERSION = 'v1';

function derive(secret: string, info: string): Buffer {
  return Buffer.from(crypto.hkdfSync('sha256', secret, 'servicecore-login', info, 32));
}

export class AhvNumberCipher {
  private readonly encryptionKey: Buffer;
  private readonly lookupKey: Buffer;

  constructor(keyEncryptionKey: string) {
    this.encryptionKey = derive(keyEncryptionKey, 'ahv-number-encryption');
    this.lookupKey = derive(keyEncryptionKey, 'ahv-number-lookup');
  }

  encrypt(compact: string, accountId: string): string {
    const iv = crypto.randomBytes(12);
    const cipher = crypto.createCipheriv('aes-256-gcm', this.encryptionKey, iv);
    cipher.setAAD(Buffer.from(accountId, 'utf8'));
    const ct = Buffer.concat([cipher.update(compact, 'utf8'), cipher.final()]);
    return [VERSION, iv.toString('base64url'), ct.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
  }

  /** Throws when the blob was not made for this account or under another KEY_ENCRYPTION_KEY. */
  decrypt(blob: string, accountId: string): string {
    const [version, iv, ct, tag] = blob.split('.');
    if (version !== VERSION || !iv || !ct || !tag) throw new Error('unknown AHV number encryption format');
    const decipher = crypto.createDecipheriv('aes-256-gcm', this.encryptionKey, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(accountId, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    try {
      return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new Error('an AHV number cannot be decrypted: wrong account or KEY_ENCRYPTION_KEY');
    }
  }

  /** Keyed hash of a compact number, for lookups. */
  lookupHash(compact: string): string {
    return crypto.createHmac('sha256', this.lookupKey).update(compact, 'utf8').digest('base64url');
  }
}

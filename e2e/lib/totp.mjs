// One-time codes (RFC 6238: HMAC-SHA-1, 30 s steps) computed from a base32
// secret, as an authenticator app does: the browser tests sign the demo's
// level-2 citizen in with the totp_secret from demo-accounts.json.
//
//   import { totp } from './lib/totp.mjs';
//   await page.getByLabel('Mã xác thực').fill(totp(minh.totp_secret));

import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';

/** RFC 4648 base32 (no padding needed) to bytes. */
export function base32Decode(s) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out = [];
  for (const ch of s.toUpperCase().replace(/[\s=]/g, '')) {
    const i = alphabet.indexOf(ch);
    if (i < 0) throw new Error(`not base32: ${ch}`);
    value = (value << 5) | i;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((value >>> bits) & 0xff);
    }
  }
  return Buffer.from(out);
}

/** The RFC 6238 code of a base32 secret at time ms. */
export function totp(secret, ms = Date.now(), { step = 30, digits = 6 } = {}) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(ms / 1000 / step)));
  const mac = createHmac('sha1', base32Decode(secret)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const bin = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(bin % 10 ** digits).padStart(digits, '0');
}

// RFC 6238 appendix B, SHA-1 rows (secret "12345678901234567890", 8
// digits): the implementation is checked before it is trusted.
const RFC6238_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
for (const [seconds, code] of [[59, '94287082'], [1111111109, '07081804'], [1111111111, '14050471'], [1234567890, '89005924'], [2000000000, '69279037']]) {
  assert.equal(totp(RFC6238_SECRET, seconds * 1000, { digits: 8 }), code, `RFC 6238 test vector at T=${seconds}`);
}

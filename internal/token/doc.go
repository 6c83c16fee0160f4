// Package token issues and verifies Rampart's short-lived access tokens and
// owns the ECDSA P-256 keys that sign them: creation, rotation, retirement,
// pruning and the public JSON Web Key Set.
//
// Access tokens are JWTs in compact form, signed with ES256 only, typed
// "at+jwt", and carry iss, aud, sub, sid, exp, nbf, iat and jti. A verified
// token is cached by its SHA-256 until it expires, so the signature check runs
// once per token and node.
//
// The package must never:
//   - accept any algorithm but ES256, a token without a known kid, or a token
//     whose typ, issuer or audience is not exactly the configured one;
//   - echo a token, a claim it could not check, or key material in an error;
//   - read randomness from anything but crypto/rand;
//   - keep a retired key longer than a token it signed can live, or drop it
//     sooner;
//   - persist keys itself: private keys go through KeyStore, whose
//     implementation wraps them with the keyring before they reach disk.
package token

// Package password hashes and verifies user passwords with argon2id and
// stores them as PHC strings ($argon2id$v=19$m=...,t=...,p=...$salt$hash).
//
// A Hasher caps how many hashes run at once, so a flood of logins queues
// (and gives up with resource_exhausted when the caller's context ends)
// instead of exhausting memory. Dummy gives unknown users the cost of a
// real check, so response time does not reveal which accounts exist.
//
// The package must never:
//   - log a password, put one in an error, or truncate one;
//   - trust the parameters of a stored hash beyond fixed bounds: a hash
//     written by an attacker must not buy gigabytes or minutes per check;
//   - compare hashes with anything but crypto/subtle, or draw salts from
//     anything but crypto/rand;
//   - accept another algorithm or argon2 version than argon2id v=19.
package password

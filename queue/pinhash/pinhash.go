// Package pinhash hashes staff PINs with argon2id and checks them.
//
// A staff PIN has 6 to 12 digits, so there are at most 10^12 and often
// only 10^6 of them: no hash makes a six-digit PIN safe from someone who
// holds the hash. The hash makes each guess cost what argon2id costs
// (Default: about 0.1 s and 64 MiB here), so a six-digit PIN read from a
// stolen kiosk's disk takes about 37 core-hours to find (BENCHMARKS.md),
// not seconds; set new PINs at the centre when a kiosk is stolen.
// Sign-in at the kiosk is guarded by a lockout, not by the hash.
package pinhash

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Digits a PIN may have.
const (
	MinDigits = 6
	MaxDigits = 12
)

// Params are argon2id's cost parameters. Each hash states the ones it was
// made with, so Default can grow without breaking the hashes already made.
type Params struct {
	Time    uint32 // passes over memory
	Memory  uint32 // KiB
	Threads uint8
}

// Default is RFC 9106's second recommended setting: 3 passes over
// 64 MiB in 4 lanes. BENCHMARKS.md has what a hash costs.
var Default = Params{Time: 3, Memory: 64 * 1024, Threads: 4}

// Bounds a hash's stated parameters must keep, so that a garbled hash
// can neither make a kiosk allocate gigabytes nor pass a trivial cost.
const (
	minMemory  = 8 * 1024   // KiB
	maxMemory  = 512 * 1024 // KiB
	maxTime    = 16
	maxThreads = 16
	saltSize   = 16
	keySize    = 32
)

// ErrMalformed marks a stored hash that is not one this package made.
var ErrMalformed = errors.New("pinhash: malformed hash")

// CheckPIN reports whether pin has the digits a PIN must have: nil, or
// an error that says which rule it breaks.
func CheckPIN(pin string) error {
	if len(pin) < MinDigits || len(pin) > MaxDigits {
		return fmt.Errorf("a PIN has %d to %d digits", MinDigits, MaxDigits)
	}
	for _, r := range pin {
		if r < '0' || r > '9' {
			return errors.New("a PIN has digits only")
		}
	}
	return nil
}

// Hash returns pin's hash with Default, in the PHC string format:
// $argon2id$v=19$m=65536,t=3,p=4$SALT$KEY.
func Hash(pin string) (string, error) { return HashWith(pin, Default) }

// HashWith hashes pin with p; tests use cheaper parameters than Default.
func HashWith(pin string, p Params) (string, error) {
	if err := CheckPIN(pin); err != nil {
		return "", err
	}
	if err := p.check(); err != nil {
		return "", err
	}
	salt := make([]byte, saltSize)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("pinhash: salt: %w", err)
	}
	key := argon2.IDKey([]byte(pin), salt, p.Time, p.Memory, p.Threads, keySize)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Verify reports whether pin matches hash. It fails only for a hash it
// cannot read; a wrong PIN is (false, nil).
func Verify(hash, pin string) (bool, error) {
	p, salt, key, err := parse(hash)
	if err != nil {
		return false, err
	}
	// #nosec G115 -- parse keeps the key 16 to 64 bytes long
	got := argon2.IDKey([]byte(pin), salt, p.Time, p.Memory, p.Threads, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

// Valid reports whether hash is one Verify can read.
func Valid(hash string) bool {
	_, _, _, err := parse(hash)
	return err == nil
}

func (p Params) check() error {
	if p.Time < 1 || p.Time > maxTime || p.Memory < minMemory || p.Memory > maxMemory || p.Threads < 1 || p.Threads > maxThreads {
		return fmt.Errorf("%w: parameters t=%d m=%d p=%d out of bounds", ErrMalformed, p.Time, p.Memory, p.Threads)
	}
	return nil
}

func parse(hash string) (p Params, salt, key []byte, err error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return p, nil, nil, ErrMalformed
	}
	if p, err = parseParams(parts[3]); err != nil {
		return p, nil, nil, err
	}
	if err := p.check(); err != nil {
		return p, nil, nil, err
	}
	b64 := base64.RawStdEncoding
	if salt, err = b64.DecodeString(parts[4]); err != nil || len(salt) < 8 || len(salt) > 64 {
		return p, nil, nil, ErrMalformed
	}
	if key, err = b64.DecodeString(parts[5]); err != nil || len(key) < 16 || len(key) > 64 {
		return p, nil, nil, ErrMalformed
	}
	return p, salt, key, nil
}

// parseParams reads "m=65536,t=3,p=4", in that order.
func parseParams(s string) (Params, error) {
	fields := strings.Split(s, ",")
	if len(fields) != 3 {
		return Params{}, ErrMalformed
	}
	var v [3]uint64
	for i, f := range []struct {
		name string
		bits int
	}{{"m=", 32}, {"t=", 32}, {"p=", 8}} {
		digits, ok := strings.CutPrefix(fields[i], f.name)
		n, err := strconv.ParseUint(digits, 10, f.bits)
		if !ok || err != nil {
			return Params{}, ErrMalformed
		}
		v[i] = n
	}
	// #nosec G115 -- ParseUint kept each within the bits of its field
	return Params{Memory: uint32(v[0]), Time: uint32(v[1]), Threads: uint8(v[2])}, nil
}

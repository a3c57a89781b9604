package pinhash

import (
	"errors"
	"strings"
	"testing"
)

var cheap = Params{Time: 1, Memory: minMemory, Threads: 1}

func TestHashVerify(t *testing.T) {
	h, err := HashWith("123456", cheap)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=8192,t=1,p=1$") {
		t.Fatalf("hash %q does not state its parameters", h)
	}
	for pin, want := range map[string]bool{"123456": true, "123457": false, "1234567": false, "": false} {
		ok, err := Verify(h, pin)
		if err != nil || ok != want {
			t.Errorf("Verify(%q) = %v, %v; want %v", pin, ok, err, want)
		}
	}
	h2, _ := HashWith("123456", cheap)
	if h2 == h {
		t.Error("two hashes of one PIN are equal: the salt is not random")
	}
}

func TestDefaultHash(t *testing.T) {
	if testing.Short() {
		t.Skip("Default costs 64 MiB")
	}
	h, err := Hash("20261205")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(h, "$m=65536,t=3,p=4$") {
		t.Fatalf("hash %q is not made with Default", h)
	}
	if ok, err := Verify(h, "20261205"); !ok || err != nil {
		t.Fatalf("Verify = %v, %v", ok, err)
	}
}

func TestCheckPIN(t *testing.T) {
	for pin, ok := range map[string]bool{"123456": true, "123456789012": true, "12345": false, "1234567890123": false, "12345a": false, "١٢٣٤٥٦": false, "": false} {
		if err := CheckPIN(pin); (err == nil) != ok {
			t.Errorf("CheckPIN(%q) = %v", pin, err)
		}
		if _, err := HashWith(pin, cheap); (err == nil) != ok {
			t.Errorf("HashWith(%q) = %v", pin, err)
		}
	}
}

func TestMalformed(t *testing.T) {
	good, _ := HashWith("123456", cheap)
	parts := strings.Split(good, "$")
	for name, h := range map[string]string{
		"empty":        "",
		"bcrypt":       "$2a$10$abcdefghijklmnopqrstuuMDZ0OTbc5cPnL8yKdPMWtoTUoPBIW8C",
		"argon2i":      strings.Replace(good, "argon2id", "argon2i", 1),
		"version":      strings.Replace(good, "v=19", "v=16", 1),
		"huge memory":  strings.Replace(good, "m=8192", "m=4194304", 1),
		"tiny memory":  strings.Replace(good, "m=8192", "m=64", 1),
		"zero time":    strings.Replace(good, "t=1", "t=0", 1),
		"many threads": strings.Replace(good, "p=1", "p=255", 1),
		"order":        strings.Replace(good, "m=8192,t=1", "t=1,m=8192", 1),
		"extra":        strings.Replace(good, "p=1", "p=1,x=2", 1),
		"bad salt":     strings.Join([]string{"", parts[1], parts[2], parts[3], "!!", parts[5]}, "$"),
		"short key":    strings.Join([]string{"", parts[1], parts[2], parts[3], parts[4], "AAAA"}, "$"),
	} {
		if Valid(h) {
			t.Errorf("%s: %q is valid", name, h)
		}
		if _, err := Verify(h, "123456"); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: Verify = %v, want ErrMalformed", name, err)
		}
	}
}

func FuzzVerify(f *testing.F) {
	good, _ := HashWith("123456", cheap)
	f.Add(good, "123456")
	f.Add("$argon2id$v=19$m=8192,t=1,p=1$$", "")
	f.Fuzz(func(t *testing.T, hash, pin string) {
		if p, _, _, err := parse(hash); err == nil && p.Memory > 64*1024 {
			t.Skip("valid but too dear for a fuzz run")
		}
		ok, err := Verify(hash, pin)
		if err != nil && ok {
			t.Fatal("an error and a match")
		}
	})
}

// BenchmarkVerifyDefault is what one staff sign-in costs the kiosk, and
// one guessed PIN costs whoever holds a copy of the hashes.
func BenchmarkVerifyDefault(b *testing.B) {
	h, err := Hash("20261205")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if ok, err := Verify(h, "20261205"); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}

package main

import (
	"strings"
	"testing"
	"time"
)

func TestSummarize(t *testing.T) {
	cases := []struct {
		in   []float64
		want summary
	}{
		{[]float64{3}, summary{3, 3, 3}},
		{[]float64{5, 1, 3}, summary{3, 1, 5}},
		{[]float64{4, 1, 3, 2}, summary{2.5, 1, 4}},
		{[]float64{310, 290, 1200, 300, 305}, summary{305, 290, 1200}},
	}
	for _, c := range cases {
		in := append([]float64(nil), c.in...)
		if got := summarize(c.in); got != c.want {
			t.Errorf("summarize(%v) = %+v, want %+v", in, got, c.want)
		}
		for i := range in {
			if in[i] != c.in[i] {
				t.Fatalf("summarize reordered its argument: %v", c.in)
			}
		}
	}
}

const procStatus = `Name:	kiosk
Umask:	0022
State:	S (sleeping)
VmPeak:	 1838420 kB
VmSize:	 1772884 kB
VmHWM:	  143312 kB
VmRSS:	  131072 kB
RssAnon:	   61440 kB
RssFile:	   69632 kB
Threads:	12
`

func TestParseStatus(t *testing.T) {
	m, err := parseStatus(procStatus)
	if err != nil {
		t.Fatal(err)
	}
	if m != (memory{RSS: 131072 << 10, Peak: 143312 << 10, Anon: 61440 << 10, File: 69632 << 10}) {
		t.Fatalf("got %+v", m)
	}
	for name, text := range map[string]string{
		"exited (no Vm lines)": "Name:\tkiosk\nState:\tZ (zombie)\n",
		"no unit":              strings.Replace(procStatus, "131072 kB", "131072", 1),
		"not a number":         strings.Replace(procStatus, "131072 kB", "12x kB", 1),
		"bad optional line":    strings.Replace(procStatus, "61440 kB", "61440 MB", 1),
	} {
		if _, err := parseStatus(text); err == nil {
			t.Errorf("%s: parsed without error", name)
		}
	}
}

func TestVerdict(t *testing.T) {
	for _, c := range []struct {
		ratio, target float64
		want          string
	}{{1.2, 1.5, "PASS"}, {1.5, 1.5, "PASS"}, {1.51, 1.5, "FAIL"}} {
		if got := verdict(c.ratio, c.target); got != c.want {
			t.Errorf("verdict(%v, %v) = %s, want %s", c.ratio, c.target, got, c.want)
		}
	}
}

func TestChildEnvReplacesSessionAndUserDirs(t *testing.T) {
	parent := []string{"PATH=/usr/bin", "HOME=/root", "WAYLAND_DISPLAY=wayland-0", "LC_ALL=C", "DISPLAY=:0", "GOGC=100"}
	env := childEnv(parent, ":7", "/tmp/x")
	got := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		if _, dup := got[k]; dup {
			t.Fatalf("%s set twice in %v", k, env)
		}
		got[k] = v
	}
	want := map[string]string{
		"PATH": "/usr/bin", "GOGC": "100", "DISPLAY": ":7", "LANG": "en_US.UTF-8", "HOME": "/tmp/x",
		"XDG_DATA_HOME": "/tmp/x/data", "XDG_CONFIG_HOME": "/tmp/x/config", "XDG_CACHE_HOME": "/tmp/x/cache",
	}
	if len(got) != len(want) {
		t.Fatalf("env %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s=%q, want %q", k, got[k], v)
		}
	}
}

func TestParseCPU(t *testing.T) {
	// The command name may contain ") " itself.
	stat := "4242 (we) ird) S 1 4242 4242 0 -1 4194304 2183 0 0 0 37 12 0 0 20 0 9 0 1234 1772884 32768\n"
	d, err := parseCPU(stat)
	if err != nil || d != 490*time.Millisecond {
		t.Fatalf("parseCPU = %v, %v; want 490ms", d, err)
	}
	for _, bad := range []string{"", "4242 (kiosk) S 1 2", "4242 (kiosk) S 1 4242 4242 0 -1 4194304 2183 0 0 0 x 12"} {
		if _, err := parseCPU(bad); err == nil {
			t.Errorf("parseCPU(%q) succeeded", bad)
		}
	}
}

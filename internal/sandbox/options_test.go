package sandbox

import (
	"strings"
	"testing"
	"time"
)

func TestOptionsValidate(t *testing.T) {
	cases := []struct {
		name string
		edit func(*Options)
		want string // "" valid
	}{
		{"defaults", func(*Options) {}, ""},
		{"real", func(o *Options) { o.Kubernetes = KubeReal; o.FaultRate = 1 }, ""},
		{"fault rate above 1", func(o *Options) { o.FaultRate = 1.5 }, "--fault-rate must be between 0 and 1"},
		{"negative reset rate", func(o *Options) { o.ResetRate = -0.1 }, "--reset-rate must be between 0 and 1"},
		{"negative throttle", func(o *Options) { o.ThrottleRPS = -1 }, "--throttle-rps must not be negative"},
		{"negative latency", func(o *Options) { o.Latency = -time.Millisecond }, "must not be negative"},
		{"unknown kubernetes", func(o *Options) { o.Kubernetes = "kind" }, `--kubernetes must be real or builtin, got "kind"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := Options{Kubernetes: KubeAuto}
			c.edit(&o)
			err := o.Validate()
			if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
				t.Fatalf("Validate() = %v, want %q", err, c.want)
			}
		})
	}
}

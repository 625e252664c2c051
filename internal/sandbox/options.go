package sandbox

import "fmt"

// Validate checks the knobs of `sandbox serve` before anything starts; the messages name
// the flags.
func (o Options) Validate() error {
	for _, k := range []struct {
		flag string
		v    float64
	}{{"--fault-rate", o.FaultRate}, {"--reset-rate", o.ResetRate}} {
		if k.v < 0 || k.v > 1 {
			return fmt.Errorf("%s must be between 0 and 1, got %v", k.flag, k.v)
		}
	}
	if o.ThrottleRPS < 0 {
		return fmt.Errorf("--throttle-rps must not be negative, got %v", o.ThrottleRPS)
	}
	if o.Latency < 0 || o.ConsistencyDelay < 0 || o.ClusterDelay < 0 {
		return fmt.Errorf("--latency, --consistency-delay and --cluster-delay must not be negative")
	}
	switch o.Kubernetes {
	case KubeAuto, KubeReal, KubeBuiltin:
	default:
		return fmt.Errorf("--kubernetes must be real or builtin, got %q", o.Kubernetes)
	}
	return nil
}

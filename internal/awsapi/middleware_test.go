package awsapi

import (
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/eks/types"
	smithy "github.com/aws/smithy-go"
)

func TestLimitersAreSeparatePerService(t *testing.T) {
	ls := NewLimiters(10)
	if ls.For("EKS") == ls.For("IAM") {
		t.Fatal("EKS and IAM share a limiter")
	}
	if a, b := ls.For("EKS"), ls.For("EKS"); a != b {
		t.Fatal("a service got two limiters")
	}
}

func TestLimiterBacksOffOnThrottleAndRecovers(t *testing.T) {
	l := NewLimiter(100)
	now := time.Unix(0, 0)
	l.now = func() time.Time { return now }
	l.Throttled()
	if got := l.Rate(); got != 80 {
		t.Fatalf("after one throttle: %v, want 80", got)
	}
	l.Throttled() // same second: a burst of throttles counts once
	if got := l.Rate(); got != 80 {
		t.Fatalf("second throttle within a second lowered again: %v", got)
	}
	now = now.Add(2 * time.Second)
	l.Throttled()
	if got := l.Rate(); got != 64 {
		t.Fatalf("after a second throttle: %v, want 64", got)
	}
	for i := 0; i < 10000; i++ {
		l.Succeeded()
	}
	if got := l.Rate(); got != 100 {
		t.Fatalf("did not recover to the maximum: %v", got)
	}
}

func TestIsThrottle(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{&smithy.GenericAPIError{Code: "Throttling"}, true},
		{&smithy.GenericAPIError{Code: "ThrottlingException"}, true},
		{&types.ResourceNotFoundException{}, false},
		{errors.New("boom"), false},
	} {
		if got := IsThrottle(tc.err); got != tc.want {
			t.Errorf("IsThrottle(%v) = %v", tc.err, got)
		}
	}
}
